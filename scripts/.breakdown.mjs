import { build, minify } from 'vite';
import { gzipSync } from 'node:zlib';
const root = '/work/main';
const entry = process.argv[2] ?? 'src/telemetry/client.ts';
const r = await build({ configFile:false, root, envDir:false, publicDir:false, logLevel:'warn', mode:'production',
  build:{ write:false, minify:false, target:'es2022', lib:{entry:`${root}/${entry}`, formats:['es'], fileName:'b'} }});
const out = (Array.isArray(r)?r:[r])[0].output.find(c=>c.isEntry);
const rows=[];
for (const [id,m] of Object.entries(out.modules)) {
  if (!m.code) continue;
  const min = (await minify('x.js', m.code, {module:false, compress:false, mangle:true})).code;
  rows.push([id.replace(root+'/',''), min.length, gzipSync(min,{level:9}).length]);
}
rows.sort((a,b)=>b[2]-a[2]);
let t=0; for (const r of rows){t+=r[2]; console.log(r[2].toString().padStart(6), r[1].toString().padStart(7), r[0]);}
console.log('sum gz', t);
