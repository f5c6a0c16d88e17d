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
  // The site menu: a <details> disclosure that a phone opens with its button; on a wide screen it
  // stays open, its button hidden (without this file, the button works everywhere).
  function siteMenu() {
    var menu = document.getElementById("site-menu");
    if (!menu || !window.matchMedia) return;
    var wide = window.matchMedia("(min-width: 48rem)");
    function sync() {
      menu.open = wide.matches;
      menu.classList.toggle("wide", wide.matches);
    }
    sync();
    if (wide.addEventListener) wide.addEventListener("change", sync);
    // On a phone, Escape closes the open menu and gives focus back to its button.
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open && !wide.matches) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  }
  function init() {
    siteMenu();
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
