// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";

  // Conditional fields: show a field only while the answer it depends on has one of its values
  // (the server applies the same rule, so a hidden field's leftovers never count).
  function valueOf(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) return checked.value;
    var other = form.querySelector('select[name="' + name + '"], input[name="' + name + '"]:not([type=radio]):not([type=checkbox])');
    return other ? other.value : "";
  }
  function refresh(form) {
    form.querySelectorAll("[data-shown-when]").forEach(function (el) {
      var values = el.getAttribute("data-shown-values").split(" ");
      var show = values.indexOf(valueOf(form, el.getAttribute("data-shown-when"))) !== -1;
      el.hidden = !show;
      el.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !show; });
    });
  }
  function init() {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-shown-when]")) return;
      refresh(form);
      form.addEventListener("change", function () { refresh(form); });
    });
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
