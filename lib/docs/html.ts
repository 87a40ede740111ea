/**
 * GET /api/docs: a self-contained HTML page rendered from the OpenAPI document at build time
 * (no CDN, no fetch: the page works offline and behind the gateway's IP allow-list). A
 * small inline script filters the routes and points the openapi.json link at the right
 * path whatever the base (/api, /iredadmin/api, or an API Gateway stage prefix).
 */
import type { Json } from '#lib/docs/openapi';

const METHODS = ['get', 'post', 'put', 'delete'] as const;

function escape(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Escaped text with `code` spans and blank-line paragraphs (the subset of Markdown the document uses). */
function prose(text: unknown): string {
  return String(text ?? '')
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escape(paragraph).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`)
    .join('');
}

function inline(text: unknown): string {
  return escape(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** A schema as a short TypeScript-like type, with descriptions as comments. */
export function schemaText(schema: Json | undefined, depth = 0): string {
  if (!schema || Object.keys(schema).length === 0) return 'any';
  const pad = '  '.repeat(depth + 1);
  const close = '  '.repeat(depth);
  if (schema.$ref) return String(schema.$ref).split('/').pop()!;
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((value: unknown) => JSON.stringify(value)).join(' | ');
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union)) return union.map((member: Json) => schemaText(member, depth)).join('\n' + close + '| ');
  if (schema.type === 'array') return `${schemaText(schema.items, depth)}[]`;
  if (schema.type === 'object' || schema.properties || schema.patternProperties) {
    const lines: string[] = [];
    for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) {
      const comment = property.description ? `  // ${String(property.description).split('\n')[0]}` : '';
      lines.push(`${pad}${name}: ${schemaText(property, depth + 1)}${comment}`);
    }
    for (const value of Object.values((schema.patternProperties ?? {}) as Record<string, Json>)) lines.push(`${pad}[key: string]: ${schemaText(value, depth + 1)}`);
    if (schema.additionalProperties && typeof schema.additionalProperties === 'object') lines.push(`${pad}[key: string]: ${schemaText(schema.additionalProperties, depth + 1)}`);
    return lines.length === 0 ? 'object' : `{\n${lines.join('\n')}\n${close}}`;
  }
  if (schema.type === 'integer' || schema.type === 'number') return 'number';
  return String(schema.type ?? 'any');
}

/** The shape of a parameter, as HTML: type, format, allowed values, pattern, length. */
function shape(schema: Json | undefined): string {
  if (!schema) return '';
  const bits: string[] = [escape(schema.type ?? '')];
  if (schema.format) bits.push(escape(schema.format));
  if (Array.isArray(schema.enum)) bits.push(schema.enum.map((value: unknown) => `<code>${escape(value)}</code>`).join(' | '));
  if (schema.pattern) bits.push(`<code class="re">${escape(schema.pattern)}</code>`);
  if (schema.maxLength) bits.push(`≤ ${escape(schema.maxLength)} chars`);
  return bits.filter(Boolean).join(', ');
}

function paramRows(rows: { name: string; where: string; required: boolean; schema?: Json; description?: string; code?: string; example?: unknown }[]): string {
  if (rows.length === 0) return '';
  const body = rows
    .map(
      (row) =>
        `<tr><td><code>${escape(row.name)}</code>${row.required ? ' <span class="req">required</span>' : ''}</td><td>${escape(row.where)}</td><td>${shape(row.schema)}</td><td>${inline(row.description)}${row.example !== undefined ? ` <span class="ex">e.g. <code>${escape(row.example)}</code></span>` : ''}</td><td>${row.code ? `<a class="code" href="#code-${escape(row.code)}">${escape(row.code)}</a>` : ''}</td></tr>`,
    )
    .join('');
  return `<table class="params"><thead><tr><th>parameter</th><th>in</th><th>shape</th><th>meaning</th><th>refused with</th></tr></thead><tbody>${body}</tbody></table>`;
}

/** Follows a local `#/components/...` reference. */
function resolve(doc: Json, schema: Json | undefined): Json | undefined {
  if (!schema?.$ref) return schema;
  return String(schema.$ref).replace(/^#\//, '').split('/').reduce((node: Json | undefined, key) => node?.[key], doc);
}

function successOf(operation: Json): { mediaType: string; schema?: Json; description: string } {
  const ok = operation.responses?.['200'] ?? {};
  const [mediaType, content] = Object.entries((ok.content ?? {}) as Record<string, Json>)[0] ?? ['application/json', {}];
  const oneOf = content.schema?.oneOf as Json[] | undefined;
  return { mediaType, schema: oneOf ? oneOf[0] : content.schema, description: ok.description ?? '' };
}

function renderOperation(doc: Json, method: string, path: string, operation: Json): string {
  const rows = (operation.parameters ?? []).map((p: Json) => ({ name: p.name, where: p.in, required: Boolean(p.required), schema: p.schema, description: p.description, code: p['x-msg'] ?? p.schema?.['x-msg'], example: p.example }));
  const body = resolve(doc, operation.requestBody?.content?.['application/x-www-form-urlencoded']?.schema);
  const required = new Set<string>(body?.required ?? []);
  for (const [name, schema] of Object.entries((body?.properties ?? {}) as Record<string, Json>)) {
    rows.push({ name, where: 'body', required: required.has(name), schema, description: schema.description, code: schema['x-msg'], example: Array.isArray(schema.examples) ? schema.examples[0] : undefined });
  }
  const success = successOf(operation);
  const codes: string[] = operation['x-msg-codes'] ?? [];
  const publicRoute = Array.isArray(operation.security) && operation.security.length === 0;
  const search = [method, path, operation.summary, operation['x-family'], ...rows.map((row: { name: string }) => row.name), ...codes].join(' ').toLowerCase();
  const reply =
    success.mediaType === 'application/json' && success.schema?.properties?._success
      ? `<pre class="schema">${escape(schemaText(success.schema))}</pre>`
      : `<p>${escape(success.mediaType)}: ${inline(success.description)}</p>`;
  return `<details class="op" id="op-${escape(operation.operationId)}" data-search="${escape(search)}">
<summary><span class="method m-${method}">${method.toUpperCase()}</span> <code class="path">${escape(path)}</code> <span class="sum">${inline(operation.summary)}</span>${publicRoute ? ' <span class="badge pub">public</span>' : ''}</summary>
<div class="opbody">
${prose(operation.description)}
${rows.length > 0 ? `<h4>Parameters</h4>${paramRows(rows)}` : '<p class="muted">No parameters.</p>'}
<h4>Success reply</h4>${reply}
${codes.length > 0 ? `<h4><code>_msg</code> codes</h4><p class="codes">${codes.map((code) => `<a class="code" href="#code-${escape(code)}">${escape(code)}</a>`).join(' ')}</p>` : ''}
</div></details>`;
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f6f7f9}
header{position:sticky;top:0;z-index:2;display:flex;gap:1rem;align-items:center;flex-wrap:wrap;padding:.7rem 1.2rem;background:#1f3a5f;color:#fff}
header h1{font-size:1.15rem;margin:0}header a{color:#cfe3ff}header .ver{opacity:.8;font-size:.9rem}
#filter{margin-left:auto;min-width:18rem;padding:.35rem .6rem;border-radius:4px;border:0;font:inherit}
.layout{display:flex;align-items:flex-start}nav{position:sticky;top:3.2rem;width:14rem;flex:none;max-height:calc(100vh - 3.2rem);overflow:auto;padding:1rem .8rem;font-size:.9rem}
nav a{display:flex;justify-content:space-between;padding:.15rem .4rem;border-radius:3px;color:#1f3a5f;text-decoration:none}nav a:hover{background:#e3e9f2}nav .n{color:#6b7485}
main{flex:1;min-width:0;padding:1rem 1.5rem 4rem}section{margin-bottom:1.8rem}h2{font-size:1.2rem;border-bottom:2px solid #d5dbe5;padding-bottom:.2rem}
.op{background:#fff;border:1px solid #d5dbe5;border-radius:6px;margin:.4rem 0}.op summary{cursor:pointer;padding:.45rem .7rem;list-style:none;display:flex;gap:.5rem;align-items:baseline;flex-wrap:wrap}
.op[open] summary{border-bottom:1px solid #e4e8ef}.opbody{padding:.2rem 1rem .8rem}.sum{color:#3d4658}
.method{display:inline-block;min-width:4.2rem;text-align:center;font:600 .78rem/1.6 ui-monospace,monospace;color:#fff;border-radius:3px;padding:0 .3rem}
.m-get{background:#2f7d32}.m-post{background:#1565c0}.m-put{background:#b26a00}.m-delete{background:#b3261e}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em}.path{font-weight:600}
pre.schema{background:#f1f4f8;border:1px solid #e0e5ee;border-radius:4px;padding:.6rem;overflow:auto;max-height:28rem}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.88rem}th,td{border:1px solid #e0e5ee;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#eef2f7}
.req{color:#b3261e;font-size:.75rem}.ex,.muted{color:#6b7485}.badge{font-size:.72rem;border-radius:3px;padding:0 .35rem}.pub{background:#e3f1e4;color:#2f7d32}
a.code{display:inline-block;font:.78rem ui-monospace,monospace;background:#eef2f7;color:#1f3a5f;border-radius:3px;padding:0 .3rem;margin:.1rem 0;text-decoration:none}
.op,section,tr{scroll-margin-top:4rem}code.re{word-break:break-all;color:#5a3e8a}.hidden{display:none}tr:target{background:#fff6d6}
`;

const SCRIPT = `
(function(){
  var link=document.getElementById('spec-link');
  if(link){link.href=location.pathname.replace(/\\/docs\\/?$/,'/openapi.json');}
  var input=document.getElementById('filter');
  function apply(){
    var q=input.value.trim().toLowerCase();
    document.querySelectorAll('section.family').forEach(function(section){
      var shown=0;
      section.querySelectorAll('details.op').forEach(function(op){
        var hit=!q||op.getAttribute('data-search').indexOf(q)>=0;
        op.classList.toggle('hidden',!hit);if(hit)shown++;
      });
      section.classList.toggle('hidden',shown===0);
      var count=document.querySelector('nav a[href="#'+section.id+'"] .n');if(count)count.textContent=shown;
    });
  }
  input.addEventListener('input',apply);
  function openTarget(){var el=location.hash&&document.getElementById(location.hash.slice(1));if(el&&el.tagName==='DETAILS')el.open=true;}
  window.addEventListener('hashchange',openTarget);openTarget();
})();
`;

export function renderDocsHtml(doc: Json): string {
  const tags: { name: string; description?: string }[] = doc.tags ?? [];
  const byTag = new Map<string, string[]>(tags.map((tag) => [tag.name, []]));
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = operation.tags?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push(renderOperation(doc, method, path, operation));
    }
  }
  const nav = [...byTag].map(([tag, ops]) => `<a href="#family-${escape(tag)}">${escape(tag)} <span class="n">${ops.length}</span></a>`).join('');
  const families = [...byTag]
    .map(([tag, ops]) => `<section class="family" id="family-${escape(tag)}"><h2>${escape(tag)}</h2><p class="muted">${inline(tags.find((t) => t.name === tag)?.description)}</p>${ops.join('\n')}</section>`)
    .join('\n');
  const schemes = Object.entries((doc.components?.securitySchemes ?? {}) as Record<string, Json>)
    .map(([name, scheme]) => `<tr><td><code>${escape(name)}</code></td><td>${escape(scheme.type === 'http' ? `Authorization: Bearer (${scheme.bearerFormat ?? scheme.scheme})` : `${scheme.in} ${scheme.name}`)}</td><td>${inline(scheme.description)}</td></tr>`)
    .join('');
  const msg = doc.components?.schemas?.MsgCode ?? {};
  const original = new Set<string>(msg['x-original-codes'] ?? []);
  const notes: Record<string, string> = msg['x-enum-descriptions'] ?? {};
  const codes = ((msg.enum ?? []) as string[])
    .map((code) => `<tr id="code-${escape(code)}"><td><code>${escape(code)}</code></td><td>${original.has(code) ? 'iRedAdmin-Pro' : 'this API'}</td><td>${inline(notes[code])}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(doc.info?.title)} — API documentation</title><style>${STYLE}</style></head>
<body>
<header><h1>${escape(doc.info?.title)}</h1><span class="ver">version ${escape(doc.info?.version)} · OpenAPI ${escape(doc.openapi)} · <a id="spec-link" href="openapi.json">openapi.json</a></span>
<input id="filter" type="search" placeholder="Filter: path, parameter, _msg code…" aria-label="Filter routes"></header>
<div class="layout"><nav><a href="#overview">overview</a><a href="#auth">authentication</a>${nav}<a href="#codes">_msg codes</a></nav>
<main>
<section id="overview"><h2>Overview</h2>${prose(doc.info?.description)}</section>
<section id="auth"><h2>Authentication</h2><table><thead><tr><th>scheme</th><th>sent as</th><th>meaning</th></tr></thead><tbody>${schemes}</tbody></table></section>
${families}
<section id="codes"><h2><code>_msg</code> codes</h2><table><thead><tr><th>code</th><th>from</th><th>meaning</th></tr></thead><tbody>${codes}</tbody></table></section>
</main></div>
<script>${SCRIPT}</script>
</body></html>
`;
}
