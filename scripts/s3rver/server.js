// The local stack's S3 API: s3rver, plus the two multipart calls it lacks.
//
// s3rver 3.7 answers ListMultipartUploads (GET /<bucket>?uploads) with NotImplemented and
// AbortMultipartUpload (DELETE /<bucket>/<key>?uploadId=<id>) with MethodNotAllowed, so an upload
// interrupted by a crash could never be cleaned up against it. Both are added here, as S3
// documents them, over s3rver's own folder layout (<directory>/<bucket>/._S3rver_uploads/<id>/,
// holding a file `key` and the parts); path-style requests only, which is what the stack serves.
//
// Usage: node server.js --directory D --address A --port P --bucket B
'use strict';

const fs = require('fs');
const path = require('path');
const S3rver = require('s3rver');

function parseArguments(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!['directory', 'address', 'port', 'bucket'].includes(name) || i + 1 >= argv.length) {
      throw new Error(`unknown or incomplete argument ${argv[i]}`);
    }
    options[name] = argv[i + 1];
  }
  for (const needed of ['directory', 'address', 'port', 'bucket']) {
    if (!(needed in options)) throw new Error(`--${needed} is required`);
  }
  return options;
}

function escapeXml(text) {
  return text.replace(/[<>&'"]/g, c => `&#${c.charCodeAt(0)};`);
}

function xmlError(ctx, status, code, message) {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(
    message,
  )}</Message></Error>`;
}

// The unfinished uploads of `bucket` whose key starts with `prefix`: [{key, uploadId}], by key.
function unfinishedUploads(directory, bucket, prefix) {
  const uploadsDir = path.join(directory, bucket, '._S3rver_uploads');
  if (!fs.existsSync(uploadsDir)) return [];
  const found = [];
  for (const uploadId of fs.readdirSync(uploadsDir)) {
    const keyFile = path.join(uploadsDir, uploadId, 'key');
    if (!fs.existsSync(keyFile)) continue;
    const key = fs.readFileSync(keyFile, 'utf8');
    if (key.startsWith(prefix)) found.push({ key, uploadId });
  }
  return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function multipartCalls(directory) {
  return async (ctx, next) => {
    const [, bucket, ...keyParts] = ctx.path.split('/').map(decodeURIComponent);
    const key = keyParts.join('/');
    if (ctx.method === 'GET' && bucket && !key && 'uploads' in ctx.query) {
      if (!fs.existsSync(path.join(directory, bucket))) {
        return xmlError(ctx, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      }
      const prefix = ctx.query.prefix || '';
      const uploads = unfinishedUploads(directory, bucket, prefix)
        .map(
          u =>
            `<Upload><Key>${escapeXml(u.key)}</Key><UploadId>${escapeXml(u.uploadId)}</UploadId></Upload>`,
        )
        .join('');
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult>' +
        `<Bucket>${escapeXml(bucket)}</Bucket><Prefix>${escapeXml(prefix)}</Prefix>` +
        `<IsTruncated>false</IsTruncated>${uploads}</ListMultipartUploadsResult>`;
      return;
    }
    if (ctx.method === 'DELETE' && bucket && key && 'uploadId' in ctx.query) {
      const uploadDir = path.join(directory, bucket, '._S3rver_uploads', ctx.query.uploadId);
      const keyFile = path.join(uploadDir, 'key');
      if (
        ctx.query.uploadId.includes('/') ||
        !fs.existsSync(keyFile) ||
        fs.readFileSync(keyFile, 'utf8') !== key
      ) {
        return xmlError(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist');
      }
      fs.rmSync(uploadDir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    await next();
  };
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  fs.mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({
    directory: options.directory,
    address: options.address,
    port: Number(options.port),
    silent: true,
    configureBuckets: [{ name: options.bucket, configs: [] }],
  });
  // Before s3rver's router (its last middleware), which would refuse both calls.
  server.middleware.splice(server.middleware.length - 1, 0, multipartCalls(options.directory));
  const { address, port } = await server.run();
  console.log(`S3 API on http://${address}:${port}/ serving ${options.directory}`);
}

main().catch(error => {
  console.error(`s3rver: ${error.message}`);
  process.exit(1);
});
