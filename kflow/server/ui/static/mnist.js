// The MNIST page: connect to a model, draw a digit or fetch a held-out one, show the
// model's answer. Every request goes to the page's JSON twin (/ui/mnist.json and
// /ui/mnist/predict); the session cookie rides along, no credential is in the page.
"use strict";
(function () {
  const form = document.getElementById("connect");
  const connection = document.getElementById("connection");
  const pad = document.getElementById("pad");
  const pen = pad.getContext("2d", { willReadFrequently: true });
  const preview = document.getElementById("input").getContext("2d");
  const message = document.getElementById("message");
  const bars = document.getElementById("bars");
  const field = (id) => document.getElementById(id);
  const PEN_WIDTH = 18; // canvas pixels, of 280: about a tenth of a digit drawn full size
  let inked = false;
  let busy = 0;
  let asked = 0; // answers that arrive after a newer question are dropped

  function settings() {
    return {
      server: form.elements.server.value.trim(),
      model: form.elements.model.value.trim(),
      protocol: form.elements.protocol.value,
    };
  }

  async function call(url, options) {
    const response = await fetch(url, Object.assign({ credentials: "same-origin" }, options));
    let body = null;
    try { body = await response.json(); } catch (_) { /* not JSON: reported below */ }
    if (response.status === 401) { window.location.assign("/ui/login?next=" + encodeURIComponent(location.pathname + location.search)); }
    if (!response.ok) throw new Error((body && body.message) || response.status + " " + response.statusText);
    return body;
  }

  function working(on) {
    busy += on ? 1 : -1;
    document.querySelectorAll("button").forEach((b) => { b.disabled = busy > 0 && b.id !== "clear"; });
    document.body.dataset.busy = busy > 0 ? "true" : "false";
  }

  function showConnection(state) {
    connection.textContent = (state.connected ? "\u2713 " : "\u2717 ") + state.message;
    connection.className = "connection " + (state.connected ? "ok" : "failed");
  }

  function showPixels(pixels) {
    const cell = preview.canvas.width / 8;
    for (let i = 0; i < 64; i++) {
      const shade = Math.round(255 * (1 - pixels[i]));
      preview.fillStyle = "rgb(" + shade + "," + shade + "," + shade + ")";
      preview.fillRect((i % 8) * cell, Math.floor(i / 8) * cell, cell, cell);
    }
  }

  function showResult(result, source, truth) {
    message.textContent = "";
    field("source").textContent = source;
    field("truth").textContent = truth === null ? "\u2014" : String(truth);
    field("prediction").textContent = String(result.prediction);
    field("version").textContent = result.modelVersion || "\u2014";
    field("latency").textContent = result.elapsedMs + " ms";
    showPixels(result.pixels);
    const probabilities = result.probabilities;
    bars.classList.toggle("hidden", !probabilities);
    if (!probabilities) { message.textContent = "The model answered a class label, not probabilities."; return; }
    bars.querySelectorAll("li").forEach((row, digit) => {
      const p = probabilities[digit];
      row.dataset.probability = String(p);
      row.classList.toggle("top", digit === result.prediction);
      row.querySelector(".fill").style.width = (100 * p).toFixed(1) + "%";
      row.querySelector(".value").textContent = (100 * p).toFixed(1) + "%";
    });
  }

  function showError(error) {
    clearResult();
    message.textContent = error.message;
  }

  async function testImage() {
    const query = new URLSearchParams(settings());
    history.replaceState(null, "", "?" + query.toString());
    const mine = ++asked;
    working(true);
    try {
      const state = await call("/ui/mnist.json?" + query.toString());
      if (mine !== asked) return;
      form.elements.model.value = state.model;
      showConnection(state.connection);
      const source = "held-out #" + state.sample.index;
      if (state.result) {
        showResult(state.result, source, state.sample.truth);
      } else { // no answer from this server: the image and its truth, nothing else
        clearResult();
        showPixels(state.sample.pixels);
        field("source").textContent = source;
        field("truth").textContent = String(state.sample.truth);
      }
    } catch (error) {
      if (mine === asked) showConnection({ connected: false, message: error.message });
    } finally {
      working(false);
    }
  }

  function ink() {
    const { width, height } = pad;
    const rgba = pen.getImageData(0, 0, width, height).data;
    const alpha = new Uint8Array(width * height);
    for (let i = 0; i < alpha.length; i++) alpha[i] = rgba[4 * i + 3];
    let text = "";
    for (let i = 0; i < alpha.length; i += 0x8000) {
      text += String.fromCharCode.apply(null, alpha.subarray(i, i + 0x8000));
    }
    return { width: width, height: height, data: btoa(text) };
  }

  async function predictDrawing() {
    if (!inked) { message.textContent = "Draw a digit first."; return; }
    const mine = ++asked;
    working(true);
    try {
      const body = Object.assign(settings(), { image: ink() });
      const result = await call("/ui/mnist/predict", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      if (mine === asked) showResult(result, "your drawing", null);
    } catch (error) {
      if (mine === asked) showError(error);
    } finally {
      working(false);
    }
  }

  function clearResult() {
    ["source", "truth", "prediction", "version", "latency"].forEach((id) => { field(id).textContent = "\u2014"; });
    preview.clearRect(0, 0, preview.canvas.width, preview.canvas.height);
    message.textContent = "";
    bars.classList.remove("hidden");
    bars.querySelectorAll("li").forEach((row) => {
      delete row.dataset.probability;
      row.classList.remove("top");
      row.querySelector(".fill").style.width = "0";
      row.querySelector(".value").textContent = "\u2013";
    });
  }

  function clearPad() {
    pen.clearRect(0, 0, pad.width, pad.height);
    inked = false;
    asked++; // an answer still on its way is for the drawing just wiped
    if (field("source").textContent === "your drawing") clearResult();
  }

  // drawing: pointer events cover mouse, touch and pen alike
  let last = null;
  function point(event) {
    const box = pad.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * (pad.width / box.width),
      y: (event.clientY - box.top) * (pad.height / box.height),
    };
  }
  pen.lineCap = "round";
  pen.lineJoin = "round";
  pen.lineWidth = PEN_WIDTH;
  pen.strokeStyle = pen.fillStyle = "#1f2430";
  pad.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    last = point(event);
    pen.beginPath();
    pen.arc(last.x, last.y, PEN_WIDTH / 2, 0, 2 * Math.PI);
    pen.fill();
    inked = true;
  });
  pad.addEventListener("pointermove", (event) => {
    if (!last) return;
    const next = point(event);
    pen.beginPath();
    pen.moveTo(last.x, last.y);
    pen.lineTo(next.x, next.y);
    pen.stroke();
    last = next;
  });
  function endStroke() {
    if (!last) return;
    last = null;
    predictDrawing();
  }
  pad.addEventListener("pointerup", endStroke);
  pad.addEventListener("pointercancel", endStroke);

  form.addEventListener("submit", (event) => { event.preventDefault(); testImage(); });
  field("clear").addEventListener("click", clearPad);
  field("predict").addEventListener("click", predictDrawing);
  field("test-image").addEventListener("click", testImage);
  testImage();
})();
