// Show only the settings of the chosen method, and the act filters only when victims are counted.
// Progressive enhancement: without script every field stays visible and the server ignores the unused ones.
(function () {
  "use strict";
  function sync(form) {
    var method = form.querySelector('input[name="method"]:checked');
    form.querySelectorAll("[data-method]").forEach(function (box) {
      box.hidden = method !== null && box.getAttribute("data-method") !== method.value;
    });
    var population = form.querySelector('input[name="population"]:checked');
    form.querySelectorAll("[data-population]").forEach(function (box) {
      box.hidden = population !== null && box.getAttribute("data-population") !== population.value;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.est-form");
    if (!form) { return; }
    form.addEventListener("change", function () { sync(form); });
    sync(form);
  });
})();
