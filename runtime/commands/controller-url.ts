// A controller's URL as a user types it: `127.0.0.1:7070` or `lab-pc:7070` means http://; a
// scheme other than http(s), or something that is no URL, is refused at once with the option's
// name (a machine that cannot parse its controller's address would only retry forever).

/** The URL to use, or throws an Error naming `option` and what was wrong. */
export function controllerUrl(value: string, option = "--controller"): string {
  const v = value.trim();
  // host:port or host/path with no scheme: http is the protocol's default (TLS comes from a proxy, given as https://).
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(v) ? v : `http://${v}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`${option} must be a URL such as http://host:7070, got "${value}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`${option} must be an http:// or https:// URL, got "${value}"`);
  if (!url.hostname) throw new Error(`${option} names no host: "${value}"`);
  if (url.username || url.password) throw new Error(`${option} must not carry a user or password (tokens go in --token-file or DISCALC_TOKEN): "${value}"`);
  // No trailing slash: route paths are appended to it.
  return url.toString().replace(/\/+$/, "");
}
