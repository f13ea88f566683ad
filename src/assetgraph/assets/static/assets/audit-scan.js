// Audit scanning page: keep the tag input ready for the next scan, and offer the phone camera
// through the browser's BarcodeDetector API where it exists. Loaded as a file (strict CSP).
(function () {
  "use strict";

  // Labels carry a QR code with the asset's URL and ?tag=…; 1D barcodes carry the tag itself.
  function tagFrom(raw) {
    try {
      var url = new URL(raw);
      return url.searchParams.get("tag") || raw;
    } catch (e) {
      return raw;
    }
  }

  function init() {
    var form = document.getElementById("scan-form");
    if (!form) { return; }
    var input = document.getElementById("scan-tag");

    // A refused scan answers 4xx with the results and the message: show it anyway.
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      if (event.detail.requestConfig && event.detail.requestConfig.elt === form &&
          event.detail.xhr.status >= 400 && event.detail.xhr.status < 500) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      }
    });
    form.addEventListener("htmx:afterRequest", function () {
      input.value = "";
      input.focus();
    });

    var button = document.getElementById("scan-camera");
    var video = document.getElementById("scan-video");
    if (!button || !video || !("BarcodeDetector" in window) ||
        !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return;
    }
    button.hidden = false;
    var stream = null;
    var timer = null;
    var last = "";
    var lastAt = 0;

    function stop() {
      if (timer) { window.clearInterval(timer); timer = null; }
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
      video.hidden = true;
      button.classList.remove("active");
    }

    function start() {
      var wanted = ["qr_code", "code_128", "code_39", "ean_13", "data_matrix"];
      window.BarcodeDetector.getSupportedFormats().then(function (supported) {
        var formats = wanted.filter(function (f) { return supported.indexOf(f) >= 0; });
        var detector = new window.BarcodeDetector(formats.length ? { formats: formats } : {});
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
          .then(function (media) {
            stream = media;
            video.srcObject = media;
            video.hidden = false;
            button.classList.add("active");
            return video.play().then(function () {
              timer = window.setInterval(function () {
                detector.detect(video).then(function (codes) {
                  if (!codes.length) { return; }
                  var tag = tagFrom(codes[0].rawValue || "").trim();
                  var now = Date.now();
                  if (!tag || (tag === last && now - lastAt < 3000)) { return; }
                  last = tag;
                  lastAt = now;
                  input.value = tag;
                  form.requestSubmit();
                }).catch(function () { /* a frame the detector could not read */ });
              }, 300);
            });
          });
      }).catch(function () { stop(); button.hidden = true; });
    }

    button.addEventListener("click", function () {
      if (stream) { stop(); } else { start(); }
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
