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
  // Move focus to the error summary so screen readers announce it.
  var summary = document.getElementById("error-summary") || document.getElementById("problem");
  if (summary) { summary.setAttribute("tabindex", "-1"); summary.focus(); }
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
