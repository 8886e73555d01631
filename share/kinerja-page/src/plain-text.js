// Stands in for sanitize-html (with postcss, htmlparser2 and entities: a third of the bundle). ipywidgets uses it
// only for descriptions with description_allow_html, which the forms never set; here such HTML shows as text.
export default function sanitize(source) {
  return String(source).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;',
    "'": '&#39;' })[c]);
}
