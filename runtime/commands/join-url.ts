// Which controller URL the join lines print: one that other machines can reach. Pure (the
// interfaces and the hostname are arguments), so the choice is tested without a network.
import type { NetworkInterfaceInfo } from "node:os";

export interface JoinUrl {
  url: string;
  /** Why the URL may not reach other machines, when it may not; printed beside the lines. */
  note?: string;
}

/** What is wrong with a --advertise value, or undefined when it is an http(s) URL with a host. */
export function advertiseProblem(value: string): string | undefined {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return `--advertise must be an http:// or https:// URL (e.g. http://10.0.0.5:7070), got "${value}"`;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return `--advertise must be an http:// or https:// URL, got scheme "${u.protocol.slice(0, -1)}" in "${value}"`;
  if (u.username || u.password || u.search || u.hash) return `--advertise must be a plain URL without user, password, query or fragment, got "${value}"`;
  return undefined;
}

/** Listening on every interface: no one address is the controller's. */
export const isWildcardHost = (host: string) => host === "0.0.0.0" || host === "::" || host === "";

/**
 * The URL to print: --advertise when given; else, when the controller listens on every
 * interface, the first IPv4 address that is not loopback (nor link-local 169.254/16, which
 * no router forwards), then the hostname, then 127.0.0.1, each with a note; else the address
 * it listens on.
 */
export function chooseJoinUrl(o: {
  advertise?: string; host: string; port: number; interfaces: Record<string, NetworkInterfaceInfo[] | undefined>; hostname: string;
}): JoinUrl {
  if (o.advertise !== undefined) return { url: o.advertise.replace(/\/+$/, "") };
  if (!isWildcardHost(o.host)) return { url: `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${o.port}` };
  for (const list of Object.values(o.interfaces)) {
    for (const a of list ?? []) {
      // Node 18.0–18.3 gave the family as a number.
      const v4 = a.family === "IPv4" || (a.family as unknown) === 4;
      if (v4 && !a.internal && !a.address.startsWith("169.254.")) return { url: `http://${a.address}:${o.port}` };
    }
  }
  const fix = "give --advertise URL with the address machines reach this one at";
  if (o.hostname && o.hostname !== "localhost") {
    return { url: `http://${o.hostname}:${o.port}`, note: `no network address other than loopback found: the lines name this machine's hostname; ${fix} if others cannot resolve it` };
  }
  return { url: `http://127.0.0.1:${o.port}`, note: `no network address other than loopback found: only this machine can use these lines; ${fix}` };
}
