// Links for a site opened from disk (file://). A browser shows a folder's listing
// for file:///…/incidents/ where a web server answers with its index.html, so on
// file:// only, every relative link or form target that names a folder gets
// index.html added (incidents/ → incidents/index.html, ../#x → ../index.html#x).
// Served over http(s) this script changes nothing.
(function () {
  "use strict";
  if (location.protocol !== "file:") return;
  // Relative: no scheme, not protocol- or root-relative. A folder: the part
  // before any ?query or #fragment ends in "/".
  var folder = /^(?![a-zA-Z][a-zA-Z0-9+.-]*:|\/)([^?#]*\/)([?#].*)?$/;
  function fix(element, attribute) {
    var value = element.getAttribute(attribute);
    var match = value === null ? null : folder.exec(value);
    if (match) element.setAttribute(attribute, match[1] + "index.html" + (match[2] || ""));
  }
  document.querySelectorAll("a[href], area[href]").forEach(function (a) { fix(a, "href"); });
  document.querySelectorAll("form[action]").forEach(function (form) { fix(form, "action"); });
})();
