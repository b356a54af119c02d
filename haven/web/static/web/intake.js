/* Haven intake: comboboxes (type-ahead), person pickers and draft status. No inline script (CSP).
 *
 * Everything here improves a form that works without JavaScript:
 *  - select[data-combobox] (vocabulary terms, places) becomes an ARIA 1.2 combobox whose options come from the
 *    server's type-ahead (which matches Hangul and any romanization); the select stays the real field, hidden.
 *  - input[data-typeahead="persons"] (find a recorded person) becomes a combobox that fills the picker's
 *    hidden person field.
 *  - pickers show only the part that matches the chosen "who is it?" option.
 *  - Enter in a text field does not submit the testimony; htmx saves the draft on every change.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");
  var DEBOUNCE_MS = 200;
  var statusRegion = null;

  function announce(text) {
    if (!statusRegion) {
      statusRegion = document.createElement("div");
      statusRegion.className = "visually-hidden";
      statusRegion.setAttribute("role", "status");
      statusRegion.setAttribute("aria-live", "polite");
      statusRegion.id = "intake-announce";
      document.body.appendChild(statusRegion);
    }
    statusRegion.textContent = "";
    window.setTimeout(function () { statusRegion.textContent = text; }, 50);
  }

  function t(key, fallback) {
    var form = document.getElementById("intake-form");
    return (form && form.dataset[key]) || fallback;
  }

  function fire(el, type) {
    el.dispatchEvent(new Event(type, { bubbles: true }));
  }

  function cleanLabel(text) {
    return text.replace(/^(—\s)+/, "").trim();
  }

  /* ---- a generic combobox: input + listbox filled from a server fragment ---- */

  function Combobox(input, list, source, onChoose, allowEmpty) {
    var timer = null;
    var seq = 0;
    var active = -1;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");
    list.setAttribute("role", "listbox");
    list.classList.add("listbox");
    list.hidden = true;

    function options() {
      return Array.prototype.filter.call(list.querySelectorAll("[role=option]"), function (o) {
        return o.getAttribute("aria-disabled") !== "true";
      });
    }

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var opts = options();
      opts.forEach(function (o) { o.setAttribute("aria-selected", "false"); o.classList.remove("active"); });
      if (!opts.length) { active = -1; return; }
      active = (index + opts.length) % opts.length;
      var o = opts[active];
      o.setAttribute("aria-selected", "true");
      o.classList.add("active");
      input.setAttribute("aria-activedescendant", o.id);
      if (o.scrollIntoView) { o.scrollIntoView({ block: "nearest" }); }
    }

    function load() {
      var q = input.value.trim();
      if (!q && !allowEmpty) { close(); return; }
      var mine = ++seq;
      var url = source + (source.indexOf("?") >= 0 ? "&" : "?") +
        new URLSearchParams({ q: q, list: list.id }).toString();
      fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (r) {
          if (!r.ok || r.redirected) { throw new Error("type-ahead " + r.status); }
          return r.text();
        })
        .then(function (html) {
          if (mine !== seq) { return; }  // a later keystroke's answer wins
          list.innerHTML = html;  // server-rendered, escaped fragment
          active = -1;
          input.removeAttribute("aria-activedescendant");
          open();
          var n = options().length;
          announce(n ? t("msgResults", "{count} results").replace("{count}", n) : t("msgNoResults", "No results"));
        })
        .catch(function () {
          if (mine === seq) { close(); announce(t("msgLookupFailed", "The search could not be run.")); }
        });
    }

    function choose(option) {
      if (!option || option.getAttribute("aria-disabled") === "true") { return; }
      onChoose(option.dataset.value, option.dataset.label || option.textContent.trim());
      close();
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(load, DEBOUNCE_MS);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (list.hidden) { load(); return; }
        highlight(active + (e.key === "ArrowDown" ? 1 : -1));
      } else if (e.key === "Enter") {
        e.preventDefault();  // never submits the testimony
        if (!list.hidden && active >= 0) { choose(options()[active]); }
      } else if (e.key === "Escape") {
        if (!list.hidden) { e.preventDefault(); close(); }
      } else if (e.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
    list.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep focus in the input
    list.addEventListener("click", function (e) {
      var o = e.target.closest("[role=option]");
      if (o) { choose(o); input.focus(); }
    });
    return { close: close };
  }

  /* ---- select[data-combobox]: terms and places ---- */

  function enhanceSelect(select) {
    if (select.dataset.enhanced) { return; }
    select.dataset.enhanced = "1";
    var multiple = select.multiple;
    var wrap = document.createElement("div");
    wrap.className = "combo";
    var input = document.createElement("input");
    input.type = "text";
    input.id = select.id + "-combo";
    input.className = "combo-input";
    ["aria-describedby", "aria-invalid", "aria-required"].forEach(function (a) {
      if (select.hasAttribute(a)) { input.setAttribute(a, select.getAttribute(a)); }
    });
    var list = document.createElement("ul");
    list.id = select.id + "-listbox";
    var label = document.querySelector('label[for="' + select.id + '"]');
    if (label) {
      label.htmlFor = input.id;
      label.id = label.id || select.id + "-label";
      list.setAttribute("aria-labelledby", label.id);
    }
    var chips = null;
    if (multiple) {
      chips = document.createElement("ul");
      chips.className = "chips";
      chips.id = select.id + "-chosen";
      chips.setAttribute("aria-label", t("msgChosen", "Chosen"));
      input.placeholder = t("msgTypeToAdd", "Type to add…");
    }

    function selectedLabel() {
      var o = select.options[select.selectedIndex];
      return o && o.value ? cleanLabel(o.textContent) : "";
    }

    function renderChips() {
      chips.innerHTML = "";
      Array.prototype.forEach.call(select.selectedOptions, function (o) {
        var li = document.createElement("li");
        var text = cleanLabel(o.textContent);
        li.appendChild(document.createTextNode(text + " "));
        var b = document.createElement("button");
        b.type = "button";
        b.className = "chip-remove";
        b.setAttribute("aria-label", t("msgRemove", "Remove") + " " + text);
        b.textContent = "×";
        b.addEventListener("click", function () {
          o.selected = false;
          renderChips();
          fire(select, "change");
          announce(t("msgRemoved", "Removed") + ": " + text);
          input.focus();
        });
        li.appendChild(b);
        chips.appendChild(li);
      });
    }

    function optionFor(value, text) {
      var o = Array.prototype.find.call(select.options, function (x) { return x.value === value; });
      if (!o) {  // the server only offers values the select holds; keep going if the list changed meanwhile
        o = new Option(text, value);
        select.add(o);
      }
      return o;
    }

    new Combobox(input, list, select.dataset.source, function (value, text) {
      var o = optionFor(value, text);
      if (multiple) {
        o.selected = true;
        input.value = "";
        renderChips();
        announce(t("msgAdded", "Added") + ": " + cleanLabel(text));
      } else {
        select.value = value;
        input.value = cleanLabel(o.textContent);
      }
      fire(select, "change");
    }, select.dataset.combobox === "terms");

    if (!multiple) {
      input.value = selectedLabel();
      input.addEventListener("change", function (e) {
        e.stopPropagation();  // only the select's own change saves the draft
        if (!input.value.trim() && select.value) {
          select.value = "";
          fire(select, "change");
        } else {
          input.value = selectedLabel();
        }
      });
    } else {
      input.addEventListener("change", function (e) { e.stopPropagation(); });
    }
    select.hidden = true;
    select.tabIndex = -1;
    select.parentNode.insertBefore(wrap, select.nextSibling);
    wrap.appendChild(input);
    wrap.appendChild(list);
    if (chips) { wrap.appendChild(chips); renderChips(); }
  }

  /* ---- persons: the picker's search field ---- */

  function enhancePersonSearch(input) {
    if (input.dataset.enhanced) { return; }
    input.dataset.enhanced = "1";
    var list = document.createElement("ul");
    list.id = input.id + "-listbox";
    var label = document.querySelector('label[for="' + input.id + '"]');
    if (label) { label.id = label.id || input.id + "-label"; list.setAttribute("aria-labelledby", label.id); }
    input.parentNode.appendChild(list);
    var chosen = document.getElementById(input.dataset.chosen);
    var chosenText = input.value;

    function hidden() {
      var h = document.getElementById(input.dataset.valueField);
      if (!h) {
        h = document.createElement("input");
        h.type = "hidden";
        h.id = input.dataset.valueField;
        h.name = input.name.replace(/-q$/, "-person");
        input.parentNode.appendChild(h);
      }
      return h;
    }

    new Combobox(input, list, input.dataset.source, function (value, text) {
      var h = hidden();
      h.value = value;
      input.value = text;
      chosenText = text;
      var mode = document.querySelector('input[name="' + input.dataset.picker + '-mode"][value="existing"]');
      if (mode) { mode.checked = true; fire(mode, "change"); }
      if (chosen) { chosen.textContent = t("msgChosenPerson", "Chosen:") + " " + text; }
      fire(h, "change");
      announce(t("msgChosenPerson", "Chosen:") + " " + text);
    }, false);

    input.addEventListener("input", function () {
      var h = document.getElementById(input.dataset.valueField);
      if (h && h.value && input.value !== chosenText) {  // typing again drops the choice
        h.value = "";
        if (chosen) { chosen.textContent = ""; }
      }
    });
  }

  /* ---- pickers: show the part for the chosen option ---- */

  function enhancePicker(fieldset) {
    if (fieldset.dataset.enhanced) { return; }
    fieldset.dataset.enhanced = "1";
    var name = fieldset.dataset.picker + "-mode";
    function apply() {
      var checked = fieldset.querySelector('input[name="' + name + '"]:checked');
      var mode = checked ? checked.value : "";
      fieldset.querySelectorAll(":scope > [data-mode]").forEach(function (group) {
        group.hidden = group.dataset.mode !== mode;
      });
      var dups = fieldset.querySelector(":scope > .duplicates");
      if (dups) { dups.hidden = mode !== "new"; }
    }
    fieldset.querySelectorAll('input[name="' + name + '"]').forEach(function (r) {
      r.addEventListener("change", apply);
    });
    apply();
  }

  function enhanceRemove(box) {
    if (box.dataset.enhanced) { return; }
    box.dataset.enhanced = "1";
    function apply() {
      var part = box.closest("fieldset.part");
      if (part) { part.classList.toggle("removed", box.checked); }
    }
    box.addEventListener("change", apply);
    apply();
  }

  function enhance(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var all = function (sel) {
      var found = Array.prototype.slice.call(scope.querySelectorAll(sel));
      if (scope.matches && scope.matches(sel)) { found.unshift(scope); }
      return found;
    };
    all("select[data-combobox]").forEach(enhanceSelect);
    all('input[data-typeahead="persons"]').forEach(enhancePersonSearch);
    all("fieldset.picker[data-picker]").forEach(enhancePicker);
    all('input[type=checkbox][name$="-DELETE"]').forEach(enhanceRemove);
  }

  function onReady() {
    var form = document.getElementById("intake-form");
    if (!form) { return; }
    enhance(document);
    if (window.htmx) { window.htmx.onLoad(enhance); }

    // Enter in a one-line field must not submit (or even save) the testimony by surprise.
    form.addEventListener("keydown", function (e) {
      var el = e.target;
      if (e.key === "Enter" && !e.defaultPrevented && el.tagName === "INPUT" &&
          ["text", "search", "number", "date"].indexOf(el.type) >= 0) {
        e.preventDefault();
      }
    });

    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }

    document.body.addEventListener("htmx:afterSwap", function (e) {
      var target = e.detail.target;
      if (!target || !target.id) { return; }
      if (/^(events|event-\d+-acts|act-\d+-involvements)$/.test(target.id)) {
        var added = target.lastElementChild;
        if (added) {
          var first = added.querySelector("input:not([type=hidden]):not([hidden]), select:not([hidden]), textarea");
          if (first) { first.focus(); }
          var legend = added.querySelector("legend");
          announce((legend ? legend.textContent : "") + " " + t("msgPartAdded", "added"));
        }
      }
    });

    // An autosave answered by anything but the draft's state (a login page after the session ended, an error)
    // must not be swapped into the form: say that the draft was not saved.
    document.body.addEventListener("htmx:beforeSwap", function (e) {
      if (!e.detail.target || e.detail.target.id !== "draft-state") { return; }
      var text = e.detail.xhr ? e.detail.xhr.responseText : "";
      if (e.detail.xhr.status !== 200 || text.indexOf('id="draft-state"') < 0) {
        e.detail.shouldSwap = false;
        notSaved(t("msgSessionEnded", "Not saved: your session may have ended. Log in again in another tab, then press “Save draft”."));
      }
    });
    document.body.addEventListener("htmx:sendError", function () {
      notSaved(t("msgOffline", "Not saved: the server cannot be reached. Keep this page open and try again."));
    });
  }

  function notSaved(text) {
    var m = document.getElementById("draft-message");
    if (m) { m.textContent = text; m.className = "error"; }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onReady);
  } else {
    onReady();
  }
})();
