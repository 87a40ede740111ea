// Builds the `functions` and `resources` sections of serverless.yml from the route table
// (lib/http/routes.ts), so the gateway and the router cannot drift apart. Each route family
// gets one Lambda and a greedy `{proxy+}` route under both /api and /iredadmin/api: the
// function re-matches the exact path itself.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { require: tsRequire } = require('tsx/cjs/api');

const { ROUTES, FAMILIES } = tsRequire('../lib/http/routes.ts', __filename);
const { EXTRA_FUNCTIONS } = tsRequire('./extra-functions.ts', __filename);

/** The first path segment each family serves (e.g. `domain` for /api/domain/...). */
function prefixesOf(family) {
  return [...new Set(ROUTES.filter((r) => r.family === family).map((r) => r.pattern.split('/')[1]))];
}

function httpEvents(family) {
  const events = [];
  for (const base of ['api', 'iredadmin/api']) {
    for (const prefix of prefixesOf(family)) {
      const hasDeeper = ROUTES.some((r) => r.family === family && r.pattern.split('/')[1] === prefix && r.pattern.split('/').length > 2);
      events.push({ http: { path: `${base}/${prefix}`, method: 'any' } });
      if (hasDeeper) events.push({ http: { path: `${base}/${prefix}/{proxy+}`, method: 'any' } });
    }
  }
  return events;
}

function functionEntry(name, events) {
  return {
    handler: `.build/functions/${name}/index.handler`,
    package: { patterns: [`.build/functions/${name}/**`] },
    events,
  };
}

module.exports.functions = () => {
  const functions = {};
  for (const family of FAMILIES) functions[family] = functionEntry(family, httpEvents(family));
  for (const extra of EXTRA_FUNCTIONS) functions[extra.name] = { ...functionEntry(extra.name, extra.events), ...extra.settings };
  return functions;
};

/**
 * The client allow-list: infra/allowed-ips.json, or the file ALLOWED_IPS_FILE names (tests and
 * the template check package with a non-empty list without touching the committed one).
 */
module.exports.allowedIps = () => {
  const file = process.env.ALLOWED_IPS_FILE ? path.resolve(process.env.ALLOWED_IPS_FILE) : path.join(__dirname, 'allowed-ips.json');
  const allowed = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(allowed) || allowed.some((entry) => typeof entry !== 'string')) {
    throw new Error(`${file} must be a JSON array of IP addresses or CIDR networks`);
  }
  return allowed;
};

/** The gateway's resource policy: allow invoke, then an explicit Deny for every address outside the allow-list. */
module.exports.resourcePolicy = () => {
  const allowed = module.exports.allowedIps();
  const statements = [{ Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: ['execute-api:/*'] }];
  if (allowed.length > 0) {
    statements.push({
      Effect: 'Deny',
      Principal: '*',
      Action: 'execute-api:Invoke',
      Resource: ['execute-api:/*'],
      Condition: { NotIpAddress: { 'aws:SourceIp': allowed } },
    });
  }
  return statements;
};
