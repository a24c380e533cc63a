// osteotwin: small page behaviour shared by every page (loaded by base.html; no inline scripts: the
// CSP allows scripts from this site only).
//
// - An element marked data-focus-on-load (a form's error summary, an account message) takes focus
//   when the page loads, so keyboard and screen reader users start at what went wrong.
// - A link in an error summary (href="#field") moves focus to the field it names.
// - An HTMX request tells its progress in the short status element named by data-status on the
//   requesting element (or an ancestor): data-busy while it runs, data-done after it succeeded.
//   A request that fails (an HTTP error, or no answer) writes data-failed, with what happened, into
//   the role="alert" element named by data-alert, instead of failing silently.
// - A choice list that an HTMX answer refills (the lab form's units after its test changes) keeps
//   the option the user picked while the answer was on its way, when the new list still offers it:
//   without this, a unit chosen quickly was silently reset to the first unit and the value saved in it.
(function () {
  "use strict";

  function focusOnLoad() {
    var target = document.querySelector("[data-focus-on-load]");
    if (target) { target.focus(); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusOnLoad);
  } else {
    focusOnLoad();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".error-summary a[href^='#']") : null;
    if (!link) { return; }
    var field = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!field) { return; }
    event.preventDefault();
    var details = field.closest("details");
    if (details) { details.open = true; }
    field.scrollIntoView({block: "center"});
    field.focus();
  });

  // the element named by the attribute ``name`` on ``elt`` or its nearest ancestor that has one
  function named(elt, name) {
    var owner = elt && elt.closest ? elt.closest("[" + name + "]") : null;
    return owner ? {owner: owner, target: document.querySelector(owner.getAttribute(name))} : null;
  }

  function setStatus(elt, key) {
    var found = named(elt, "data-status");
    if (!found || !found.target) { return; }
    var text = found.owner.getAttribute(key) || "";
    found.target.textContent = text;
    found.target.classList.toggle("idle", key !== "data-busy");
  }

  function failed(event, what) {
    var elt = event.detail && event.detail.elt;
    setStatus(elt, "data-idle");
    var found = named(elt, "data-alert");
    if (!found || !found.target) { return; }
    var message = found.owner.getAttribute("data-failed") || "This part of the page could not be loaded.";
    found.target.textContent = message + " (" + what + ")";
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var found = named(elt, "data-alert");
    if (found && found.target) { found.target.textContent = ""; }
    setStatus(elt, "data-busy");
  });
  // the select that a request will refill, with the value it had when the request was sent
  function refilledSelect(event) {
    var target = event.detail && event.detail.target;
    return target && target.tagName === "SELECT" ? target : null;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var select = refilledSelect(event);
    if (select) { select.setAttribute("data-sent-value", select.value); }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var select = refilledSelect(event);
    if (!select) { return; }
    var chosen = select.value !== select.getAttribute("data-sent-value");
    select.removeAttribute("data-sent-value");
    if (chosen) { select.setAttribute("data-user-value", select.value); }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var select = refilledSelect(event);
    if (!select || !select.hasAttribute("data-user-value")) { return; }
    var value = select.getAttribute("data-user-value");
    select.removeAttribute("data-user-value");
    for (var i = 0; i < select.options.length; i += 1) {
      if (select.options[i].value === value) { select.value = value; return; }
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) { setStatus(event.detail.elt, "data-done"); }
  });
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    failed(event, "the server answered with error " + (xhr ? xhr.status : "unknown"));
  });
  document.addEventListener("htmx:sendError", function (event) {
    failed(event, "no answer from the server: check the connection");
  });
  document.addEventListener("htmx:timeout", function (event) {
    failed(event, "the server took too long to answer");
  });
})();
