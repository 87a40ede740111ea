/**
 * The CloudFormation template check (infra/template-check.ts) on a template `osls package`
 * really generates, offline, with a non-empty allow-list (ALLOWED_IPS_FILE), secrets and a
 * VPC: it passes; and each rule catches the mistake it exists for.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROUTES, FAMILIES } from '#lib/http/routes';
import { EXTRA_FUNCTIONS } from '../../infra/extra-functions';
import { checkAgainstSpecification, checkProjectRules, checkTemplate, type Expectations } from '../../infra/template-check';
import { loadSpecification } from '../../scripts/check-template';

const execFileAsync = promisify(execFile);
const root = join(__dirname, '..', '..');
const ALLOWED = ['192.0.2.0/24', '198.51.100.7', '2001:db8::/32'];
const spec = loadSpecification();
const expectations: Expectations = { routes: ROUTES, families: FAMILIES, extraFunctions: EXTRA_FUNCTIONS.map((e) => e.name), allowedIps: ALLOWED };
let template: Record<string, any>;
let dir: string | undefined;

/** A throw-away service directory: the real serverless.yml and infra/, stub bundles, its own allow-list. */
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iredadmin-template-'));
  copyFileSync(join(root, 'serverless.yml'), join(dir, 'serverless.yml'));
  copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
  for (const name of ['infra', 'lib', 'node_modules']) symlinkSync(join(root, name), join(dir, name));
  for (const name of [...FAMILIES, ...EXTRA_FUNCTIONS.map((e) => e.name)]) {
    mkdirSync(join(dir, '.build', 'functions', name), { recursive: true });
    writeFileSync(join(dir, '.build', 'functions', name, 'index.js'), 'exports.handler = async () => ({});\n');
  }
  writeFileSync(join(dir, 'allowed-ips.json'), JSON.stringify(ALLOWED));
  await execFileAsync(
    join(root, 'node_modules', '.bin', 'osls'),
    [
      'package', '--stage', 'ci', '--region', 'eu-west-1', '--package', join(dir, 'out'),
      '--param=jwtSecretArn=arn:aws:secretsmanager:eu-west-1:123456789012:secret:iredadmin-jwt-AbCdEf',
      '--param=dbSecretArn=arn:aws:secretsmanager:eu-west-1:123456789012:secret:iredadmin-db-AbCdEf',
      '--param=subnetIds=subnet-0a,subnet-0b', '--param=securityGroupIds=sg-0c',
    ],
    { cwd: dir, env: { ...process.env, ALLOWED_IPS_FILE: join(dir, 'allowed-ips.json'), SLS_TELEMETRY_DISABLED: '1' }, maxBuffer: 16 * 1024 * 1024 },
  );
  template = JSON.parse(readFileSync(join(dir, 'out', 'cloudformation-template-update-stack.json'), 'utf8'));
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const copy = () => structuredClone(template);
const resources = (t: Record<string, any>, type: string) => Object.entries(t.Resources as Record<string, any>).filter(([, r]) => r.Type === type);

test('the packaged template (allow-list, secrets, VPC) passes the specification and every project rule', () => {
  assert.deepEqual(checkTemplate(template, spec, expectations), []);
  const [[, api]] = resources(template, 'AWS::ApiGateway::RestApi') as [[string, any]];
  const deny = api.Properties.Policy.Statement.find((s: any) => s.Effect === 'Deny');
  assert.deepEqual(deny.Condition.NotIpAddress['aws:SourceIp'], ALLOWED);
});

test('the IP Deny must be there, with exactly the allow-list', () => {
  const without = copy();
  const [[, api]] = resources(without, 'AWS::ApiGateway::RestApi') as [[string, any]];
  api.Properties.Policy.Statement = api.Properties.Policy.Statement.filter((s: any) => s.Effect !== 'Deny');
  assert.match(checkProjectRules(without, expectations).join('\n'), /no Deny with NotIpAddress/);
  const other = copy();
  const [[, api2]] = resources(other, 'AWS::ApiGateway::RestApi') as [[string, any]];
  api2.Properties.Policy.Statement.find((s: any) => s.Effect === 'Deny').Condition.NotIpAddress['aws:SourceIp'] = ['0.0.0.0/0'];
  assert.match(checkProjectRules(other, expectations).join('\n'), /NotIpAddress lists/);
  assert.match(checkProjectRules(template, { ...expectations, allowedIps: [] }).join('\n'), /allow-list is empty, yet/);
});

test('runtime, architecture and log retention are enforced', () => {
  const t = copy();
  const [[id, fn]] = resources(t, 'AWS::Lambda::Function') as [[string, any]];
  fn.Properties.Runtime = 'nodejs20.x';
  fn.Properties.Architectures = ['x86_64'];
  const [[groupId, group]] = resources(t, 'AWS::Logs::LogGroup') as [[string, any]];
  delete group.Properties.RetentionInDays;
  const problems = checkProjectRules(t, expectations).join('\n');
  assert.match(problems, new RegExp(`${id}: runtime nodejs20.x`));
  assert.match(problems, new RegExp(`${id}: architectures`));
  assert.match(problems, new RegExp(`${groupId}: log group without RetentionInDays`));
});

test('every route needs a gateway path to its own family function', () => {
  const t = copy();
  for (const [id, method] of resources(t, 'AWS::ApiGateway::Method')) {
    if (JSON.stringify(method.Properties.Integration.Uri).includes('"LogLambdaFunction"')) delete t.Resources[id];
  }
  assert.match(checkProjectRules(t, expectations).join('\n'), /GET \/api\/log: no API Gateway method serves it/);
  const extra = { ...expectations, routes: [...ROUTES, { method: 'GET', pattern: '/nowhere', family: 'meta' }] };
  assert.match(checkProjectRules(template, extra).join('\n'), /GET \/api\/nowhere: no API Gateway method/);
  const wrongFamily = { ...expectations, routes: [{ method: 'GET', pattern: '/health', family: 'domain' }] };
  assert.match(checkProjectRules(template, wrongFamily).join('\n'), /sends it to meta, the route table to domain/);
  assert.match(checkProjectRules(template, { ...expectations, families: [...FAMILIES, 'ghost'] }).join('\n'), /ghost has no Lambda function/);
});

test('IAM: no wildcard actions, no Resource "*", no other managed policies; scoped log permissions pass', () => {
  const t = copy();
  const [[roleId, role]] = resources(t, 'AWS::IAM::Role') as [[string, any]];
  const statements = role.Properties.Policies[0].PolicyDocument.Statement;
  assert.ok(statements.some((s: any) => JSON.stringify(s.Resource).includes(':log-group:/aws/lambda/')), 'the framework log statement is there and accepted');
  assert.ok(statements.some((s: any) => JSON.stringify(s).includes('secretsmanager:GetSecretValue')));
  statements.push({ Effect: 'Allow', Action: 's3:*', Resource: '*' });
  statements.push({ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: 'arn:aws:ssm:eu-west-1:123456789012:parameter/*' });
  role.Properties.ManagedPolicyArns = [...(role.Properties.ManagedPolicyArns ?? []), 'arn:aws:iam::aws:policy/AdministratorAccess'];
  const problems = checkProjectRules(t, expectations).join('\n');
  assert.match(problems, /wildcard action s3:\*/);
  assert.match(problems, /Resource "\*"/);
  assert.match(problems, /wildcard resource arn:aws:ssm/);
  assert.match(problems, new RegExp(`${roleId}: managed policy arn:aws:iam::aws:policy/AdministratorAccess`));
  assert.doesNotMatch(problems, /AWSLambdaVPCAccessExecutionRole/, 'the VPC execution policy is allowed');
});

test('the specification catches unknown types, unknown and missing properties, and wrong shapes', () => {
  const t = copy();
  const [[fnId, fn]] = resources(t, 'AWS::Lambda::Function') as [[string, any]];
  fn.Properties.Runtme = 'nodejs22.x';
  fn.Properties.MemorySize = 'lots';
  delete fn.Properties.Code;
  const [[groupId, group]] = resources(t, 'AWS::Logs::LogGroup') as [[string, any]];
  group.Type = 'AWS::Logs::LogGroupp';
  const [[methodId, method]] = resources(t, 'AWS::ApiGateway::Method') as [[string, any]];
  method.Properties.Integration.Typo = 'x';
  const problems = checkAgainstSpecification(t, spec).join('\n');
  assert.match(problems, new RegExp(`${fnId} \\(AWS::Lambda::Function\\): unknown property Runtme`));
  assert.match(problems, /MemorySize: expected Integer/);
  assert.match(problems, /required property Code is missing/);
  assert.match(problems, new RegExp(`${groupId}: resource type AWS::Logs::LogGroupp does not exist`));
  assert.match(problems, new RegExp(`${methodId} \\(AWS::ApiGateway::Method\\)\\.Integration: unknown property Typo`));
});
