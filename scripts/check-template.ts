/**
 * `npm run check:template` (CI, after `npm run package`): checks the packaged CloudFormation
 * template against AWS's resource specification (@aws-cdk/cfnspec) and the project's rules
 * (infra/template-check.ts). Offline. Usage: check-template [template.json]; the allow-list
 * is infra/allowed-ips.json, or the file ALLOWED_IPS_FILE names, as when packaging.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROUTES, FAMILIES } from '#lib/http/routes';
import { EXTRA_FUNCTIONS } from '../infra/extra-functions';
import { checkTemplate, type ResourceSpecification } from '../infra/template-check';

const root = join(__dirname, '..');

export function loadSpecification(): ResourceSpecification {
  return JSON.parse(readFileSync(require.resolve('@aws-cdk/cfnspec/spec/specification.json'), 'utf8')) as ResourceSpecification;
}

export function packagedAllowList(): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../infra/serverless-functions.js') as { allowedIps: () => string[] }).allowedIps();
}

function main(): void {
  const file = resolve(process.argv[2] ?? join(root, '.serverless', 'cloudformation-template-update-stack.json'));
  const template = JSON.parse(readFileSync(file, 'utf8'));
  const spec = loadSpecification();
  const problems = checkTemplate(template, spec, {
    routes: ROUTES,
    families: FAMILIES,
    extraFunctions: EXTRA_FUNCTIONS.map((extra) => extra.name),
    allowedIps: packagedAllowList(),
  });
  const count = Object.keys(template.Resources ?? {}).length;
  if (problems.length > 0) {
    process.stderr.write(`${file}: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(`template: ${count} resources valid against the CloudFormation resource specification ${spec.ResourceSpecificationVersion}; project rules hold for ${ROUTES.length} routes\n`);
}

if (require.main === module) main();
