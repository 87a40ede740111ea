/**
 * Checks the CloudFormation template `osls package` writes, offline, before anything is
 * deployed (scripts/check-template.ts; `npm run check:template` in CI):
 *
 * - against AWS's CloudFormation resource specification (the copy shipped by the npm package
 *   @aws-cdk/cfnspec): every resource type exists, required properties are present, no
 *   property is unknown, nested property types and primitive values have the right shape;
 * - against the project's rules: the IP allow-list Deny, the Lambda runtime and
 *   architecture, one function and one gateway path for every route of the route table,
 *   least-privilege IAM, log retention.
 *
 * Pure: it takes the template, the specification and the expectations, and returns the
 * problems it found (empty when the template passes).
 */
import { samplePath } from '#lib/docs/samples';

type Json = Record<string, any>;

export interface PropertySpec {
  Required?: boolean;
  PrimitiveType?: string;
  Type?: string;
  ItemType?: string;
  PrimitiveItemType?: string;
}

export interface TypeSpec {
  Properties?: Record<string, PropertySpec>;
  PrimitiveType?: string;
}

export interface ResourceSpecification {
  ResourceSpecificationVersion: string;
  ResourceTypes: Record<string, TypeSpec>;
  PropertyTypes: Record<string, TypeSpec & PropertySpec>;
}

export interface RouteLike {
  method: string;
  pattern: string;
  family: string;
}

export interface Expectations {
  routes: readonly RouteLike[];
  families: readonly string[];
  /** Scheduled functions besides the route families. */
  extraFunctions: readonly string[];
  /** The allow-list the template was packaged with (infra/allowed-ips.json or ALLOWED_IPS_FILE). */
  allowedIps: readonly string[];
  runtimes?: readonly string[];
  architecture?: string;
  /** Path prefixes the gateway serves the API under. */
  bases?: readonly string[];
}

/** AWS-managed policies the framework may attach (VPC placement needs ENI permissions). */
const MANAGED_POLICIES_ALLOWED = [/:iam::aws:policy\/service-role\/AWSLambdaVPCAccessExecutionRole$/];

// ---------------------------------------------------------------------------------------
// The resource specification

function isIntrinsic(value: unknown): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0]!.startsWith('Fn::'));
}

function primitiveProblem(value: unknown, primitive: string): string | undefined {
  if (isIntrinsic(value)) return undefined;
  switch (primitive) {
    case 'String':
    case 'Timestamp':
      return ['string', 'number', 'boolean'].includes(typeof value) ? undefined : `expected ${primitive}, got ${JSON.stringify(value)?.slice(0, 60)}`;
    case 'Integer':
    case 'Long':
    case 'Double':
      return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) ? undefined : `expected ${primitive}, got ${JSON.stringify(value)?.slice(0, 60)}`;
    case 'Boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false' ? undefined : `expected Boolean, got ${JSON.stringify(value)?.slice(0, 60)}`;
    case 'Json':
      return value !== null && (typeof value === 'object' || typeof value === 'string') ? undefined : 'expected a JSON object';
    default:
      return undefined;
  }
}

class SpecChecker {
  constructor(
    private readonly spec: ResourceSpecification,
    private readonly problems: string[],
  ) {}

  private propertyType(resourceType: string, name: string): (TypeSpec & PropertySpec) | undefined {
    return this.spec.PropertyTypes[`${resourceType}.${name}`] ?? this.spec.PropertyTypes[name];
  }

  private value(value: unknown, property: PropertySpec, resourceType: string, where: string): void {
    if (isIntrinsic(value)) return;
    if (property.PrimitiveType) {
      const problem = primitiveProblem(value, property.PrimitiveType);
      if (problem) this.problems.push(`${where}: ${problem}`);
      return;
    }
    if (property.Type === 'List' || property.Type === 'Map') {
      const items = property.Type === 'List' ? value : value && typeof value === 'object' && !Array.isArray(value) ? Object.values(value) : undefined;
      if (!Array.isArray(items)) {
        this.problems.push(`${where}: expected a ${property.Type}`);
        return;
      }
      items.forEach((item, i) => {
        const at = `${where}[${property.Type === 'List' ? i : Object.keys(value as object)[i]}]`;
        if (property.PrimitiveItemType) this.value(item, { PrimitiveType: property.PrimitiveItemType }, resourceType, at);
        else if (property.ItemType) this.object(item, resourceType, property.ItemType, at);
      });
      return;
    }
    if (property.Type) this.object(value, resourceType, property.Type, where);
  }

  private object(value: unknown, resourceType: string, typeName: string, where: string): void {
    if (isIntrinsic(value)) return;
    const type = this.propertyType(resourceType, typeName);
    if (!type) {
      this.problems.push(`${where}: property type ${typeName} is not in the specification`);
      return;
    }
    if (type.PrimitiveType) return this.value(value, { PrimitiveType: type.PrimitiveType }, resourceType, where);
    this.properties(value, type.Properties ?? {}, resourceType, where);
  }

  properties(value: unknown, properties: Record<string, PropertySpec>, resourceType: string, where: string): void {
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      this.problems.push(`${where}: expected an object`);
      return;
    }
    for (const [name, item] of Object.entries(value)) {
      const property = properties[name];
      if (!property) this.problems.push(`${where}: unknown property ${name}`);
      else this.value(item, property, resourceType, `${where}.${name}`);
    }
    for (const [name, property] of Object.entries(properties)) {
      if (property.Required && !(name in value)) this.problems.push(`${where}: required property ${name} is missing`);
    }
  }

  resource(logicalId: string, resource: Json): void {
    const type = String(resource.Type ?? '');
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') return;
    const spec = this.spec.ResourceTypes[type];
    if (!spec) {
      this.problems.push(`${logicalId}: resource type ${type || '(none)'} does not exist`);
      return;
    }
    this.properties(resource.Properties ?? {}, spec.Properties ?? {}, type, `${logicalId} (${type})`);
  }
}

export function checkAgainstSpecification(template: Json, spec: ResourceSpecification): string[] {
  const problems: string[] = [];
  const checker = new SpecChecker(spec, problems);
  for (const [logicalId, resource] of Object.entries((template.Resources ?? {}) as Record<string, Json>)) checker.resource(logicalId, resource);
  return problems;
}

// ---------------------------------------------------------------------------------------
// Project rules

function resourcesOf(template: Json, type: string): [string, Json][] {
  return Object.entries((template.Resources ?? {}) as Record<string, Json>).filter(([, resource]) => resource.Type === type);
}

function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** A resource ARN as text: literal strings, `Fn::Sub` templates, `Fn::Join` with `${…}` for the dynamic parts. */
function arnText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Json;
    if (typeof v['Fn::Sub'] === 'string') return v['Fn::Sub'];
    if (Array.isArray(v['Fn::Sub'])) return String(v['Fn::Sub'][0]);
    if (Array.isArray(v['Fn::Join'])) return asArray(v['Fn::Join'][1]).map((part) => (typeof part === 'string' ? part : '${…}')).join(String(v['Fn::Join'][0]));
    if (v.Ref) return `\${${v.Ref}}`;
  }
  return '${…}';
}

function checkResourcePolicy(template: Json, allowedIps: readonly string[], problems: string[]): void {
  const apis = resourcesOf(template, 'AWS::ApiGateway::RestApi');
  if (apis.length === 0) problems.push('no AWS::ApiGateway::RestApi in the template');
  for (const [id, api] of apis) {
    const statements = asArray(api.Properties?.Policy?.Statement) as Json[];
    const denies = statements.filter((s) => s.Effect === 'Deny' && s.Condition?.NotIpAddress);
    if (allowedIps.length === 0) {
      if (denies.length > 0) problems.push(`${id}: the allow-list is empty, yet the resource policy denies by address`);
      continue;
    }
    const deny = denies.find((s) => asArray(s.Action).includes('execute-api:Invoke'));
    if (!deny) {
      problems.push(`${id}: the allow-list has ${allowedIps.length} entries but the resource policy has no Deny with NotIpAddress`);
      continue;
    }
    const listed = asArray(deny.Condition.NotIpAddress['aws:SourceIp']).map(String).sort();
    if (JSON.stringify(listed) !== JSON.stringify([...allowedIps].sort())) {
      problems.push(`${id}: the Deny's NotIpAddress lists ${JSON.stringify(listed)}, the allow-list ${JSON.stringify([...allowedIps].sort())}`);
    }
    if (deny.Principal !== '*' && deny.Principal?.AWS !== '*') problems.push(`${id}: the IP Deny must apply to every principal`);
    if (!asArray(deny.Resource).some((r) => String(r).startsWith('execute-api:/*'))) problems.push(`${id}: the IP Deny must cover execute-api:/*`);
  }
}

function checkFunctions(template: Json, expect: Expectations, problems: string[]): Map<string, string> {
  const runtimes = expect.runtimes ?? ['nodejs22.x'];
  const architecture = expect.architecture ?? 'arm64';
  const familyOf = new Map<string, string>(); // logical id -> bundle name
  const logGroups = new Map<string, Json>();
  for (const [, group] of resourcesOf(template, 'AWS::Logs::LogGroup')) logGroups.set(String(group.Properties?.LogGroupName), group);
  for (const [id, group] of resourcesOf(template, 'AWS::Logs::LogGroup')) {
    const days = group.Properties?.RetentionInDays;
    if (!(Number(days) > 0)) problems.push(`${id}: log group without RetentionInDays`);
  }
  for (const [id, fn] of resourcesOf(template, 'AWS::Lambda::Function')) {
    const p = fn.Properties ?? {};
    if (!runtimes.includes(p.Runtime)) problems.push(`${id}: runtime ${p.Runtime} is not one of ${runtimes.join(', ')}`);
    if (JSON.stringify(p.Architectures) !== JSON.stringify([architecture])) problems.push(`${id}: architectures ${JSON.stringify(p.Architectures)} are not [${architecture}]`);
    const bundle = /^\.build\/functions\/([^/]+)\/index\.handler$/.exec(String(p.Handler ?? ''))?.[1];
    if (!bundle) problems.push(`${id}: handler ${p.Handler} is not a bundle of .build/functions`);
    else familyOf.set(id, bundle);
    if (typeof p.FunctionName === 'string' && !logGroups.has(`/aws/lambda/${p.FunctionName}`)) problems.push(`${id}: no log group (with retention) for /aws/lambda/${p.FunctionName}`);
  }
  const bundles = new Set(familyOf.values());
  for (const name of [...expect.families, ...expect.extraFunctions]) {
    if (!bundles.has(name)) problems.push(`route family / function ${name} has no Lambda function`);
  }
  return familyOf;
}

interface GatewayMethod {
  path: string[];
  httpMethod: string;
  functionId?: string;
}

function gatewayMethods(template: Json): GatewayMethod[] {
  const resources = new Map(resourcesOf(template, 'AWS::ApiGateway::Resource'));
  const pathOf = (id: string, seen = new Set<string>()): string[] | undefined => {
    const resource = resources.get(id);
    if (!resource || seen.has(id)) return undefined;
    seen.add(id);
    const parent = resource.Properties?.ParentId;
    const part = String(resource.Properties?.PathPart ?? '');
    if (parent?.['Fn::GetAtt']?.[1] === 'RootResourceId') return [part];
    if (parent?.Ref) {
      const above = pathOf(parent.Ref, seen);
      return above && [...above, part];
    }
    return undefined;
  };
  return resourcesOf(template, 'AWS::ApiGateway::Method').map(([, method]) => {
    const p = method.Properties ?? {};
    const resourceId = p.ResourceId?.Ref;
    const path = resourceId ? pathOf(resourceId) ?? ['?'] : [];
    const uri = JSON.stringify(p.Integration?.Uri ?? '');
    const functionId = /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(uri)?.[1];
    return { path, httpMethod: String(p.HttpMethod ?? ''), functionId };
  });
}

function serves(method: GatewayMethod, segments: string[]): 'exact' | 'proxy' | undefined {
  const last = method.path.at(-1);
  if (last === '{proxy+}') {
    const fixed = method.path.slice(0, -1);
    return segments.length > fixed.length && fixed.every((part, i) => part === segments[i]) ? 'proxy' : undefined;
  }
  return method.path.length === segments.length && method.path.every((part, i) => part === segments[i]) ? 'exact' : undefined;
}

function checkRoutes(template: Json, expect: Expectations, familyOf: Map<string, string>, problems: string[]): void {
  const methods = gatewayMethods(template);
  if (resourcesOf(template, 'AWS::ApiGateway::Deployment').length === 0) problems.push('no AWS::ApiGateway::Deployment: the API would not be reachable');
  for (const route of expect.routes) {
    for (const base of expect.bases ?? ['/api', '/iredadmin/api']) {
      const path = base + samplePath(route.pattern);
      const segments = path.split('/').filter(Boolean);
      const candidates = methods.filter((m) => (m.httpMethod === 'ANY' || m.httpMethod === route.method) && serves(m, segments));
      // API Gateway prefers an exact resource over a greedy one.
      const chosen = candidates.find((m) => serves(m, segments) === 'exact') ?? candidates[0];
      if (!chosen) {
        problems.push(`${route.method} ${path}: no API Gateway method serves it`);
        continue;
      }
      const family = chosen.functionId ? familyOf.get(chosen.functionId) : undefined;
      if (family !== route.family) problems.push(`${route.method} ${path}: the gateway sends it to ${family ?? 'no function'}, the route table to ${route.family}`);
    }
  }
}

function checkIam(template: Json, problems: string[]): void {
  const documents: [string, Json][] = [];
  for (const [id, role] of resourcesOf(template, 'AWS::IAM::Role')) {
    for (const policy of asArray(role.Properties?.Policies) as Json[]) documents.push([`${id}/${arnText(policy.PolicyName)}`, policy.PolicyDocument]);
    for (const arn of asArray(role.Properties?.ManagedPolicyArns)) {
      const text = arnText(arn);
      if (!MANAGED_POLICIES_ALLOWED.some((allowed) => allowed.test(text))) problems.push(`${id}: managed policy ${text} is not allowed (write a scoped statement instead)`);
    }
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, policy] of resourcesOf(template, type)) documents.push([id, policy.Properties?.PolicyDocument]);
  }
  for (const [where, document] of documents) {
    for (const statement of asArray(document?.Statement) as Json[]) {
      if (statement.Effect !== 'Allow') continue;
      if (statement.NotAction || statement.NotResource) problems.push(`${where}: Allow with NotAction/NotResource is too broad`);
      const actions = asArray(statement.Action).map(String);
      const resources = asArray(statement.Resource).map(arnText);
      for (const action of actions) if (action.includes('*')) problems.push(`${where}: wildcard action ${action}`);
      for (const resource of resources) {
        if (resource === '*') problems.push(`${where}: Resource "*" for ${actions.join(', ')}`);
        // The framework's log permissions name the functions' log groups by prefix; nothing else may use wildcards.
        else if (resource.includes('*') && !(resource.includes(':log-group:/aws/lambda/') && actions.every((a) => a.startsWith('logs:')))) {
          problems.push(`${where}: wildcard resource ${resource}`);
        }
      }
    }
  }
}

export function checkProjectRules(template: Json, expect: Expectations): string[] {
  const problems: string[] = [];
  checkResourcePolicy(template, expect.allowedIps, problems);
  const familyOf = checkFunctions(template, expect, problems);
  checkRoutes(template, expect, familyOf, problems);
  checkIam(template, problems);
  return problems;
}

export function checkTemplate(template: Json, spec: ResourceSpecification, expect: Expectations): string[] {
  return [...checkAgainstSpecification(template, spec), ...checkProjectRules(template, expect)];
}
