/**
 * Files of Attachables (Intuit "Attach images and notes" guide; node-quickbooks' `upload`): `POST /upload` with
 * multipart parts `file_content_NN` (the file, with filename and content type) and optional `file_metadata_NN` (an
 * Attachable JSON: AttachableRef, Note, ...) answers `{"AttachableResponse": [{"Attachable": {...}}]}`, one entry
 * per file (a refused file answers a `Fault` in its entry). `GET /download/{id}` answers the file's temporary download
 * URL as text, as QuickBooks does; Attachable answers carry it as `TempDownloadUri`. The bytes are kept with the
 * company (and in the snapshot, base64).
 */
import type { Engine } from '../engine';
import { ENTITY_TYPES } from '../entity-types';
import { businessValidation, malformedRequest, objectNotFound, QboFault } from '../faults';
import { isObject } from '../fields';
import type { QboObject, Realm } from '../company/realm';

/** Where the bytes live: a table of its own, `{Id, ContentType, Data: base64}` rows. */
const FILES = 'AttachableFile';

/** The multipart body as the platform hands it over. */
export interface UploadBody {
  multipart: Array<{ name: string; filename?: string; contentType?: string; data: Buffer }>;
}

export function isUpload(body: unknown): body is UploadBody {
  return isObject(body) && Array.isArray(body.multipart);
}

/** The temporary download URL of an attachable's file, on the origin the client used. */
export function downloadUri(origin: string, realmId: string, obj: QboObject): string {
  return `${origin}/_sandbox/attachments/${realmId}/${String(obj.Id)}`;
}

/** An Attachable as answered: with TempDownloadUri when it has a file and the origin is known. */
export function withDownloadUri(realm: Realm, obj: QboObject, origin: string | undefined): QboObject {
  if (origin === undefined || !realm.row(FILES, String(obj.Id))) return obj;
  return { ...obj, TempDownloadUri: downloadUri(origin, realm.realmId, obj) };
}

export function upload(engine: Engine, body: unknown, origin: string | undefined): QboObject {
  if (!isUpload(body))
    throw malformedRequest('An upload is a multipart/form-data body with file_content_NN parts.');
  const files = body.multipart.filter((p) => /^file_content_/i.test(p.name));
  if (files.length === 0)
    throw businessValidation('The upload has no file_content_NN part.', 'file_content_01');
  const type = ENTITY_TYPES.get('Attachable')!;
  const responses = files.map((file) => {
    const suffix = file.name.slice('file_content_'.length);
    const metaPart = body.multipart.find(
      (p) => p.name.toLowerCase() === `file_metadata_${suffix}`.toLowerCase(),
    );
    try {
      let meta: QboObject = {};
      if (metaPart) {
        const parsed: unknown = JSON.parse(metaPart.data.toString('utf8'));
        if (!isObject(parsed)) throw malformedRequest('file_metadata must be an Attachable JSON object.');
        meta = parsed;
      }
      const obj = engine.create(type, {
        ...meta,
        FileName: meta.FileName ?? file.filename ?? 'attachment',
        ContentType: meta.ContentType ?? file.contentType ?? 'application/octet-stream',
        Size: file.data.length,
      });
      engine.realm.put(
        FILES,
        { Id: obj.Id, ContentType: obj.ContentType, Data: file.data.toString('base64') },
        engine.nowMs,
      );
      return { Attachable: withDownloadUri(engine.realm, obj, origin) };
    } catch (err) {
      if (err instanceof QboFault) return { Fault: err.toJSON() };
      if (err instanceof SyntaxError) return { Fault: malformedRequest(err.message).toJSON() };
      throw err;
    }
  });
  return { AttachableResponse: responses };
}

/** `GET /download/{id}`: the temporary URL, as text. */
export function downloadLink(engine: Engine, id: string, origin: string | undefined): string {
  const obj = engine.read(ENTITY_TYPES.get('Attachable')!, id);
  if (!engine.realm.row(FILES, id)) throw objectNotFound();
  return downloadUri(origin ?? '', engine.realm.realmId, obj);
}

/** The stored bytes of an attachable, for the download URL. */
export function fileContent(realm: Realm, id: string): { contentType: string; data: Buffer } | undefined {
  const row = realm.row(FILES, id);
  const live = realm.live('Attachable', id);
  if (!row || !live) return undefined;
  return { contentType: String(row.obj.ContentType), data: Buffer.from(String(row.obj.Data), 'base64') };
}
