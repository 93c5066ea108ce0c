#!/usr/bin/env node
// Checks a live server's OpenRPC document with the OpenRPC project's tools (Rpc.Tests/Docs/OpenRpcToolingTests
// runs it inside ./run.sh test; scripts/install-openrpc-tools.sh installs the packages):
//  1. GET /openrpc.json and rpc.discover return the same document, and it validates against @open-rpc/meta-schema;
//  2. every example's params validate against its method's param schemas, and every example result against
//     its result schema (schema-utils-js' MethodCallValidator and dereferencing);
//  3. @open-rpc/test-coverage sends every example marked x-live to the server and the reply must match it:
//     an error example the same code and data, a result example an equal result or, where ids and tokens
//     differ by nature, one the result schema accepts.
// Usage: node check.js --url http://127.0.0.1:PORT --user-token TOKEN --staff-token TOKEN
// Prints one line per check, then "N passed, M failed"; exits 1 on any failure.
'use strict';
const { validateOpenRPCDocument, parseOpenRPCDocument, MethodCallValidator } = require('@open-rpc/schema-utils-js');
const testCoverage = require('@open-rpc/test-coverage').default;
const Ajv = require('ajv');

function option(name) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
}

const base = (option('url') || 'http://127.0.0.1:8080').replace(/\/$/, '');
const tokens = { user: option('user-token'), staff: option('staff-token') };
let passed = 0;
let failed = 0;

function report(ok, what, why) {
  if (ok) {
    passed++;
    console.log(`PASS ${what}`);
  } else {
    failed++;
    console.log(`FAIL ${what}: ${why}`);
  }
}

async function post(body) {
  const response = await fetch(`${base}/rpc`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return response.json();
}

function equal(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function main() {
  const served = await (await fetch(`${base}/openrpc.json`)).json();
  const discovered = await post({ jsonrpc: '2.0', method: 'rpc.discover', id: 1 });
  report(equal(discovered.result, served), 'rpc.discover returns the document GET /openrpc.json serves', 'they differ');

  const valid = validateOpenRPCDocument(served);
  report(valid === true, 'the document validates against @open-rpc/meta-schema', valid === true ? '' : valid.message);
  if (valid !== true) {
    return;
  }

  const document = await parseOpenRPCDocument(JSON.parse(JSON.stringify(served)), { dereference: true });
  const params = new MethodCallValidator(document);
  const ajv = new Ajv({ allErrors: true });
  const live = new Map();
  for (const method of document.methods) {
    const examples = method.examples || [];
    report(examples.length > 0, `${method.name} has an example`, 'none');
    const validateResult = ajv.compile(method.result.schema);
    for (const example of examples) {
      // An error example may break a param's rules on purpose; a result example's params must keep them.
      if (example.result) {
        const byPosition = method.params.map((p) => (example.params.find((e) => e.name === p.name) || {}).value);
        const errors = params.validate(method.name, byPosition).filter((e) => !(e.receievedParam === undefined && !method.params[e.paramIndex].required));
        report(errors.length === 0, `${method.name} "${example.name}": params match the param schemas`, errors.map((e) => e.message).join('; '));
        const ok = validateResult(example.result.value);
        report(ok, `${method.name} "${example.name}": result matches the result schema`, JSON.stringify(validateResult.errors));
      }

      if (example['x-live']) {
        live.set(`${method.name} ${example.name}`, { method, example });
      }
    }
  }

  // @open-rpc/test-coverage drives the live calls: its transport sends the token the method's x-access asks
  // for, and a rule of ours turns every x-live example into a call and judges the reply.
  const access = new Map(document.methods.map((m) => [m.name, m['x-access']]));
  let id = 0;
  const transport = async (url, method, callParams) => {
    const body = { jsonrpc: '2.0', id: ++id, method, params: callParams };
    const who = access.get(method);
    if (who === 'user' || who === 'staff') {
      body.auth = tokens[who];
    }
    const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Accept-Language': 'en' }, body: JSON.stringify(body) });
    return response.json();
  };
  const liveExamples = {
    getTitle: () => 'x-live examples against the server',
    getCalls: (doc, method) => (method.examples || []).filter((e) => e['x-live']).map((example) => ({
      title: `${method.name} "${example.name}"`,
      methodName: method.name,
      params: Object.fromEntries(example.params.map((p) => [p.name, p.value])),
      url: `${base}/rpc`,
      example,
      resultSchema: method.result.schema,
    })),
    validateCall: (call) => {
      const { example } = call;
      if (example['x-error']) {
        const expected = example['x-error'];
        call.valid = !!call.error && call.error.code === expected.code && call.error.data === expected.data;
        call.reason = `expected error ${JSON.stringify(expected)}, got ${JSON.stringify(call.error || call.result)}`;
      } else if (call.error) {
        call.valid = false;
        call.reason = `expected a result, got error ${JSON.stringify(call.error)}`;
      } else {
        const validate = ajv.compile(call.resultSchema);
        call.valid = equal(call.result, example.result.value) || (!example['x-exact'] && validate(call.result));
        call.reason = `expected ${JSON.stringify(example.result.value)}, got ${JSON.stringify(call.result)} ${JSON.stringify(validate.errors)}`;
      }
      return call;
    },
  };
  const quiet = { onBegin() {}, onTestBegin() {}, onTestEnd() {}, onEnd() {} };
  const calls = await testCoverage({ openrpcDocument: document, transport, reporters: [quiet], rules: [liveExamples] });
  for (const call of calls) {
    report(call.valid === true, `live: ${call.title}`, call.reason || String(call.requestError));
  }
  const methodsLive = new Set(calls.map((c) => c.methodName));
  console.log(`live examples: ${calls.length}, covering ${methodsLive.size} of ${document.methods.length} methods`);
}

main()
  .catch((e) => report(false, 'the check ran', e && e.stack ? e.stack : String(e)))
  .finally(() => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed > 0 ? 1 : 0;
  });
