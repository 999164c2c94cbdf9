import { test } from "node:test";
import assert from "node:assert/strict";
import { controllerUrl } from "./controller-url.ts";

test("a controller URL without a scheme is taken as http://", () => {
  assert.equal(controllerUrl("127.0.0.1:7070"), "http://127.0.0.1:7070");
  assert.equal(controllerUrl("lab-pc:7070"), "http://lab-pc:7070");
  assert.equal(controllerUrl("localhost"), "http://localhost");
  assert.equal(controllerUrl("[::1]:7070"), "http://[::1]:7070");
  assert.equal(controllerUrl(" http://10.0.0.5:7070/ "), "http://10.0.0.5:7070");
  assert.equal(controllerUrl("https://discalc.lab.example/prefix/"), "https://discalc.lab.example/prefix");
});

test("anything else is refused at once, naming the option", () => {
  assert.throws(() => controllerUrl("ftp://host:21"), /--controller must be an http:\/\/ or https:\/\/ URL, got "ftp:\/\/host:21"/);
  assert.throws(() => controllerUrl("http://"), /--controller must be a URL such as http:\/\/host:7070/);
  assert.throws(() => controllerUrl("host:notaport"), /--controller must be a URL/);
  assert.throws(() => controllerUrl("http://user:pw@host"), /must not carry a user or password/);
  assert.throws(() => controllerUrl("", "--url"), /--url must be a URL/);
});
