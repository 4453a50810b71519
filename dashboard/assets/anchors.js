// Scroll to the #section of a methodology link once Dash has rendered the page
// (the browser's own jump happens before the content exists).
(function () {
  var done = "";
  function jump() {
    var hash = window.location.hash;
    if (!hash || hash.length < 2) { done = ""; return; }
    var key = window.location.pathname + hash;
    if (key === done) { return; }
    var target = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (target) {
      done = key;
      target.scrollIntoView();
      if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
      target.focus({ preventScroll: true });
    }
  }
  new MutationObserver(jump).observe(document.documentElement, { childList: true, subtree: true });
  window.addEventListener("hashchange", function () { done = ""; jump(); });
})();
