// Type-ahead pickers (see assetgraph/ui/pickers.py). A file, not inline: the CSP forbids
// inline scripts and styles. Markup:
//   <div data-picker="/pick/org.person/">            one reference: .picker-value holds the id
//   <div data-picker=… data-picker-multiple="name">  several: chips with hidden inputs
//   <div data-picker=… data-picker-text>             free text (impact, root cause, change CIs):
//                                                    the chosen "name #id" replaces the word
//                                                    being typed after the last , or new line
//   <div data-picker=… data-picker-text data-picker-single>  one free-text reference
(function () {
  "use strict";

  function debounce(fn, wait) {
    var timer = null;
    return function () {
      var args = arguments;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { fn.apply(null, args); }, wait);
    };
  }

  function currentWord(input) {
    var value = input.value;
    var cut = Math.max(value.lastIndexOf(","), value.lastIndexOf("\n"));
    return { head: value.slice(0, cut + 1), word: value.slice(cut + 1).trim() };
  }

  function setup(box) {
    if (box.getAttribute("data-picker-ready")) { return; }
    box.setAttribute("data-picker-ready", "1");
    var url = box.getAttribute("data-picker");
    var input = box.querySelector(".picker-input");
    var menu = box.querySelector(".picker-menu");
    var hidden = box.querySelector(".picker-value");
    var multiple = box.getAttribute("data-picker-multiple");
    var textMode = box.hasAttribute("data-picker-text");
    var single = box.hasAttribute("data-picker-single");
    var submits = box.hasAttribute("data-picker-submit");
    var active = -1;
    var items = [];

    function close() {
      menu.classList.remove("show");
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var buttons = menu.querySelectorAll("[role=option]");
      if (!buttons.length) { return; }
      active = (index + buttons.length) % buttons.length;
      buttons.forEach(function (b, i) { b.classList.toggle("active", i === active); b.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", buttons[active].id);
      buttons[active].scrollIntoView({ block: "nearest" });
    }

    function changed() {
      var form = box.closest("form");
      if (submits && form && form.requestSubmit) { form.requestSubmit(); }
    }

    function choose(item) {
      if (textMode && single) {
        input.value = item.token;
      } else if (textMode) {
        var parts = currentWord(input);
        var sep = input.tagName === "TEXTAREA" ? "\n" : ", ";
        input.value = (parts.head ? parts.head.replace(/\s*$/, "") + (sep === "\n" ? "\n" : " ") : "") + item.token + sep;
      } else if (multiple) {
        var chosen = box.querySelector(".picker-chosen");
        if (chosen.querySelector('input[value="' + item.id + '"]')) { input.value = ""; close(); return; }
        var chip = document.createElement("span");
        chip.className = "badge text-bg-secondary picker-chip";
        var keep = document.createElement("input");
        keep.type = "hidden"; keep.name = multiple; keep.value = item.id;
        var remove = document.createElement("button");
        remove.type = "button"; remove.className = "btn-close btn-close-white picker-remove";
        remove.setAttribute("aria-label", "Remove " + item.text);
        chip.appendChild(keep);
        chip.appendChild(document.createTextNode(item.text + " "));
        chip.appendChild(remove);
        chosen.appendChild(chip);
        input.value = "";
      } else {
        hidden.value = item.id;
        input.value = item.text;
      }
      close();
      input.focus();
      changed();
    }

    function render(data) {
      menu.textContent = "";
      items = data.results || [];
      items.forEach(function (item, i) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "dropdown-item text-wrap";
        button.id = input.id + "_opt" + i;
        button.setAttribute("role", "option");
        button.setAttribute("data-id", item.id);
        button.appendChild(document.createTextNode(item.text));
        if (item.detail) {
          var small = document.createElement("div");
          small.className = "small text-body-secondary";
          small.textContent = item.detail;
          button.appendChild(small);
        }
        button.addEventListener("mousedown", function (event) { event.preventDefault(); });
        button.addEventListener("click", function () { choose(item); });
        menu.appendChild(button);
      });
      var note = document.createElement("div");
      note.className = "dropdown-item-text small text-body-secondary";
      note.setAttribute("role", "status");
      note.textContent = !items.length ? "No match you may see." : (data.more ? "More match: keep typing." : "");
      if (note.textContent) { menu.appendChild(note); }
      menu.classList.add("show");
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    var lookup = debounce(function () {
      var term = textMode && !single ? currentWord(input).word : input.value.trim();
      fetch(url + "?q=" + encodeURIComponent(term), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(render)
        .catch(close);
    }, 200);

    input.addEventListener("input", function (event) {
      event.stopPropagation();  // a list's filter form must not reload on every key
      if (hidden && !multiple && !textMode) {
        var wasSet = hidden.value !== "";
        hidden.value = "";
        if (!input.value.trim() && wasSet) { changed(); }
      }
      lookup();
    });
    input.addEventListener("focus", function () { if (!textMode && !input.value) { lookup(); } });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
    input.addEventListener("keydown", function (event) {
      var open = menu.classList.contains("show");
      if (event.key === "ArrowDown") { event.preventDefault(); if (!open) { lookup(); } else { highlight(active + 1); } }
      else if (event.key === "ArrowUp" && open) { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter" && open && active >= 0) { event.preventDefault(); choose(items[active]); }
      else if (event.key === "Escape" && open) { event.preventDefault(); close(); }
    });
    box.addEventListener("click", function (event) {
      var remove = event.target.closest && event.target.closest(".picker-remove");
      if (remove) { remove.closest(".picker-chip").remove(); changed(); }
    });
  }

  function setupAll(root) {
    (root || document).querySelectorAll("[data-picker]").forEach(setup);
  }
  document.addEventListener("DOMContentLoaded", function () { setupAll(document); });
  document.addEventListener("htmx:load", function (event) { setupAll(event.target); });
})();
