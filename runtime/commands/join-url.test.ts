// The join lines' URL: --advertise, else a reachable address when listening on every interface.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { NetworkInterfaceInfo } from "node:os";
import { advertiseProblem, chooseJoinUrl } from "./join-url.ts";

const nic = (address: string, o: Partial<NetworkInterfaceInfo> = {}): NetworkInterfaceInfo =>
  ({ address, netmask: "255.255.255.0", family: "IPv4", mac: "00:00:00:00:00:00", internal: false, cidr: null, ...o }) as NetworkInterfaceInfo;
const LO = { lo: [nic("127.0.0.1", { internal: true }), nic("::1", { family: "IPv6", internal: true })] };

test("on every interface: the first IPv4 address that is neither loopback nor link-local", () => {
  const interfaces = {
    ...LO,
    eth0: [nic("fe80::1", { family: "IPv6" }), nic("169.254.3.4"), nic("10.1.2.3")],
    eth1: [nic("192.168.0.9")],
  };
  assert.deepEqual(chooseJoinUrl({ host: "0.0.0.0", port: 7070, interfaces, hostname: "box" }), { url: "http://10.1.2.3:7070" });
  assert.deepEqual(chooseJoinUrl({ host: "::", port: 7070, interfaces, hostname: "box" }), { url: "http://10.1.2.3:7070" });
});

test("on every interface with only loopback: the hostname, else 127.0.0.1, each with a note naming --advertise", () => {
  const named = chooseJoinUrl({ host: "0.0.0.0", port: 7070, interfaces: LO, hostname: "box.lab" });
  assert.equal(named.url, "http://box.lab:7070");
  assert.match(named.note!, /--advertise URL/);
  const bare = chooseJoinUrl({ host: "0.0.0.0", port: 7070, interfaces: LO, hostname: "localhost" });
  assert.equal(bare.url, "http://127.0.0.1:7070");
  assert.match(bare.note!, /only this machine/);
});

test("a given address is printed as it listens; --advertise wins over everything", () => {
  const interfaces = { eth0: [nic("10.1.2.3")] };
  assert.deepEqual(chooseJoinUrl({ host: "127.0.0.1", port: 81, interfaces, hostname: "box" }), { url: "http://127.0.0.1:81" });
  assert.deepEqual(chooseJoinUrl({ host: "fd00::5", port: 81, interfaces, hostname: "box" }), { url: "http://[fd00::5]:81" });
  assert.deepEqual(chooseJoinUrl({ advertise: "https://ctl.lab.example/", host: "0.0.0.0", port: 81, interfaces, hostname: "box" }), { url: "https://ctl.lab.example" });
});

test("--advertise must be a plain http(s) URL, and the error names the flag", () => {
  assert.equal(advertiseProblem("http://10.0.0.5:7070"), undefined);
  assert.equal(advertiseProblem("https://ctl.example"), undefined);
  assert.match(advertiseProblem("10.0.0.5:7070")!, /^--advertise must be an http:\/\/ or https:\/\/ URL/);
  assert.match(advertiseProblem("ftp://x")!, /^--advertise .*scheme "ftp"/);
  assert.match(advertiseProblem("not a url")!, /^--advertise must be/);
  assert.match(advertiseProblem("http://u:p@x")!, /^--advertise .*without user/);
});
