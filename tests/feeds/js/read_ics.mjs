// Reads one iCalendar object from stdin with Mozilla's ical.js and prints what a client would show, as JSON.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const calendar = new ICAL.Component(ICAL.parse(Buffer.concat(chunks).toString("utf8")));

for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
}

const text = (component, name) => {
  const value = component.getFirstPropertyValue(name);
  return value === null ? null : String(value);
};
const utc = (time) => (time ? time.toJSDate().toISOString() : null);

const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  const organizer = vevent.getFirstProperty("organizer");
  return {
    uid: event.uid,
    sequence: event.sequence,
    status: text(vevent, "status"),
    start: utc(event.startDate),
    end: utc(event.endDate),
    start_zone: event.startDate ? event.startDate.zone.tzid : null,
    summary: event.summary,
    location: event.location,
    description: event.description,
    organizer: organizer ? String(organizer.getFirstValue()) : null,
    organizer_name: organizer ? organizer.getParameter("cn") : null,
    attendees: vevent.getAllProperties("attendee").map((p) => String(p.getFirstValue())),
  };
});

process.stdout.write(JSON.stringify({
  name: text(calendar, "x-wr-calname"),
  method: text(calendar, "method"),
  refresh_interval: text(calendar, "refresh-interval"),
  published_ttl: text(calendar, "x-published-ttl"),
  timezones: calendar.getAllSubcomponents("vtimezone").map((tz) => text(tz, "tzid")),
  events,
}));
