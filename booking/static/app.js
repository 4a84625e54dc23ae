// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Show the in-house networks note only for the topics it concerns.
  var note = document.getElementById("in-house-note");
  if (note) {
    var topics = (note.getAttribute("data-topics") || "").split(" ");
    var radios = document.querySelectorAll("input[name=topic]");
    var update = function () {
      var chosen = document.querySelector("input[name=topic]:checked");
      note.hidden = !(chosen && topics.indexOf(chosen.value) !== -1);
    };
    for (var i = 0; i < radios.length; i++) radios[i].addEventListener("change", update);
    update();
  }
  // The pages focus their error summary with autofocus; older browsers get it here.
  var summary = document.querySelector("[autofocus]");
  if (summary && document.activeElement === document.body) summary.focus();
  // A link to a field from the error summary: focus the field, not just scroll to it.
  var links = document.querySelectorAll("#error-summary a[href^='#']");
  for (var j = 0; j < links.length; j++) {
    links[j].addEventListener("click", function (event) {
      var target = document.getElementById(this.getAttribute("href").slice(1));
      if (target) { event.preventDefault(); target.focus(); target.scrollIntoView({ block: "center" }); }
    });
  }
})();
// Staff agenda: a print button where scripts run (elsewhere the browser's own Print works the same).
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-print]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
})();
