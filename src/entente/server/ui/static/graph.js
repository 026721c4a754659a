// The graph page's own script (served from 'self'; the CSP allows no inline script).
// Pan by dragging, zoom with the wheel or the +/- buttons (both move the SVG's viewBox), and
// select a node to fetch /graph/{id}/expand and merge its new neighbours into the picture.
// Without this script the page still works: every node and list item is a plain link.
"use strict";

(function () {
  var canvas = document.getElementById("graph-canvas");
  if (!canvas) { return; }
  var svg = canvas.querySelector("svg");
  if (!svg) { return; }
  var expansions = document.getElementById("graph-expansions");
  var controls = document.querySelector(".graph-controls");
  var expandUrl = canvas.getAttribute("data-expand-url");

  function box() {
    var v = svg.getAttribute("viewBox").split(/\s+/).map(Number);
    return { x: v[0], y: v[1], w: v[2], h: v[3] };
  }
  function setBox(b) {
    svg.setAttribute("viewBox", [b.x, b.y, b.w, b.h].map(function (n) { return n.toFixed(1); }).join(" "));
  }
  var home = box();
  // The SVG is drawn at its own width; let CSS fit it to the page and keep the view box.
  svg.removeAttribute("width");
  svg.removeAttribute("height");

  function zoom(factor, cx, cy) {
    var b = box();
    var w = Math.min(Math.max(b.w * factor, home.w / 20), home.w * 20);
    var h = b.h * (w / b.w);
    if (cx === undefined) { cx = b.x + b.w / 2; cy = b.y + b.h / 2; }
    setBox({ x: cx - (cx - b.x) * (w / b.w), y: cy - (cy - b.y) * (h / b.h), w: w, h: h });
  }

  // The point of the view box under a pointer event.
  function pointAt(event) {
    var rect = svg.getBoundingClientRect();
    var b = box();
    return {
      x: b.x + (event.clientX - rect.left) * b.w / rect.width,
      y: b.y + (event.clientY - rect.top) * b.h / rect.height
    };
  }

  if (controls) {
    controls.hidden = false;
    controls.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-zoom]");
      if (!button) { return; }
      var kind = button.getAttribute("data-zoom");
      if (kind === "in") { zoom(0.8); } else if (kind === "out") { zoom(1.25); } else { setBox(home); }
    });
  }

  svg.addEventListener("wheel", function (event) {
    event.preventDefault();
    var p = pointAt(event);
    zoom(event.deltaY > 0 ? 1.1 : 1 / 1.1, p.x, p.y);
  }, { passive: false });

  // Dragging pans; a press that moved more than a few pixels is a drag, not a selection.
  var drag = null;
  var dragged = false;
  svg.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) { return; }
    drag = { x: event.clientX, y: event.clientY, start: box() };
    dragged = false;
  });
  svg.addEventListener("pointermove", function (event) {
    if (!drag) { return; }
    var dx = event.clientX - drag.x;
    var dy = event.clientY - drag.y;
    if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) { return; }
    if (!dragged) { svg.setPointerCapture(event.pointerId); }
    dragged = true;
    var rect = svg.getBoundingClientRect();
    var s = drag.start;
    setBox({ x: s.x - dx * s.w / rect.width, y: s.y - dy * s.h / rect.height, w: s.w, h: s.h });
  });
  function endDrag() { drag = null; }
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);

  function shownParams(node) {
    var params = new URLSearchParams();
    params.set("node", node);
    svg.querySelectorAll("a.node[data-object-id]").forEach(function (a) {
      params.append("shown", a.getAttribute("data-object-id") + ":" +
        a.getAttribute("data-x") + ":" + a.getAttribute("data-y"));
    });
    return params;
  }

  // Move what the fragment's SVG draws that the page does not draw yet into the page's SVG.
  function merge(fragment) {
    var picture = fragment.querySelector("svg");
    if (!picture) { return; }
    var edges = svg.querySelector("g.edges");
    var nodes = svg.querySelector("g.nodes");
    picture.querySelectorAll("g.edge[data-edge-id]").forEach(function (g) {
      var id = g.getAttribute("data-edge-id");
      var known = Array.prototype.some.call(svg.querySelectorAll("g.edge"), function (e) {
        return e.getAttribute("data-edge-id") === id;
      });
      if (!known) { edges.appendChild(document.importNode(g, true)); }
    });
    picture.querySelectorAll("a.node[data-object-id]").forEach(function (a) {
      var id = a.getAttribute("data-object-id");
      var known = Array.prototype.some.call(svg.querySelectorAll("a.node"), function (n) {
        return n.getAttribute("data-object-id") === id;
      });
      if (!known) { nodes.appendChild(document.importNode(a, true)); }
    });
    // The picture only grows: widen the home view to the fragment's.
    var v = picture.getAttribute("viewBox").split(/\s+/).map(Number);
    if (v[2] > home.w || v[3] > home.h) {
      var grow = Math.max(v[2] / home.w, v[3] / home.h);
      home = { x: 0, y: 0, w: Math.max(home.w, v[2]), h: Math.max(home.h, v[3]) };
      zoom(grow);
    }
    picture.remove();
    if (expansions) {
      Array.prototype.forEach.call(fragment.children, function (child) {
        expansions.appendChild(document.importNode(child, true));
      });
    }
  }

  function expand(node, link) {
    link.classList.add("expanding");
    fetch(expandUrl + "?" + shownParams(node).toString(), {
      credentials: "same-origin",
      headers: { "Accept": "text/html" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("expansion failed: " + response.status); }
      return response.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fragment = doc.querySelector(".graph-fragment");
      if (fragment) { merge(fragment); }
      link.classList.remove("expanding");
      link.classList.add("expanded");
    }).catch(function () {
      link.classList.remove("expanding");
      // Fall back to the page of that object, which works without the script.
      window.location.href = "/graph/" + encodeURIComponent(node);
    });
  }

  svg.addEventListener("click", function (event) {
    var link = event.target.closest("a.node[data-object-id]");
    if (!link) { return; }
    event.preventDefault();
    if (dragged) { dragged = false; return; }
    if (link.classList.contains("expanded") || link.classList.contains("expanding")) {
      window.location.href = link.getAttribute("href");
      return;
    }
    expand(link.getAttribute("data-object-id"), link);
  });
  // Keyboard: Enter on a focused node expands it as a click does (SVG links take focus).
  svg.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    var link = event.target.closest("a.node[data-object-id]");
    if (!link) { return; }
    event.preventDefault();
    link.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true }));
  });
}());
