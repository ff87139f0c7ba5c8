// A Parquet object's row count from its footer alone: two ranged reads (the last 8 bytes, then the footer) instead
// of downloading the file. Planning uses it to decide whether a single s3:// Parquet file is split.
//
// The footer is a Thrift FileMetaData in the compact protocol, followed by its length (4 bytes, little-endian)
// and the magic "PAR1". Field 3 of FileMetaData is num_rows (i64); fields 1 (version) and 2 (the schema list)
// come before it and are skipped. Anything unexpected gives undefined: the caller falls back to a download.
import type { Client } from 'minio';

const MAGIC = 'PAR1';
/** Footers above this are not read into memory here (wide schemas with many row groups); the caller downloads. */
const MAX_FOOTER = 64 << 20;

/** The row count of the Parquet object s3://bucket/key of `size` bytes, or undefined when it cannot tell. */
export async function parquetObjectRows(s3: Client, bucket: string, key: string, size: number): Promise<number | undefined> {
  if (size < 12) return undefined;
  const tail = await readRange(s3, bucket, key, size - 8, 8);
  if (tail.length !== 8 || tail.subarray(4).toString('latin1') !== MAGIC) return undefined;
  const length = tail.readUInt32LE(0);
  if (length === 0 || length > MAX_FOOTER || length > size - 12) return undefined;
  return parquetFooterRows(await readRange(s3, bucket, key, size - 8 - length, length));
}

async function readRange(s3: Client, bucket: string, key: string, offset: number, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await s3.getPartialObject(bucket, key, offset, length)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** num_rows of a FileMetaData (Thrift compact protocol), or undefined when the bytes are not one. */
export function parquetFooterRows(footer: Uint8Array): number | undefined {
  const r = new CompactReader(footer);
  try {
    let id = 0;
    for (;;) {
      const header = r.byte();
      const type = header & 0x0f;
      if (type === STOP) return undefined;
      const delta = header >> 4;
      id = delta === 0 ? zigzag(r.varint()) : id + delta;
      if (id === 3 && type === I64) {
        const rows = zigzag(r.varint());
        return Number.isSafeInteger(rows) && rows >= 0 ? rows : undefined;
      }
      r.skip(type);
    }
  } catch {
    return undefined; // ran past the end, or a type the protocol does not have
  }
}

// Compact protocol types.
const STOP = 0;
const TRUE = 1;
const FALSE = 2;
const BYTE = 3;
const I16 = 4;
const I32 = 5;
const I64 = 6;
const DOUBLE = 7;
const BINARY = 8;
const LIST = 9;
const SET = 10;
const MAP = 11;
const STRUCT = 12;

const zigzag = (n: number): number => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);

class CompactReader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.at >= this.bytes.length) throw new RangeError('past the end of the footer');
    return this.bytes[this.at++]!;
  }

  /** An unsigned varint (up to 64 bits; exact while below 2^53). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new RangeError('a varint longer than 10 bytes');
  }

  advance(n: number): void {
    if (n < 0 || this.at + n > this.bytes.length) throw new RangeError('past the end of the footer');
    this.at += n;
  }

  /** Skips one value of `type`. */
  skip(type: number, inCollection = false): void {
    switch (type) {
      case TRUE:
      case FALSE:
        // A field's boolean lives in its header; a list's takes a byte of its own.
        if (inCollection) this.advance(1);
        return;
      case BYTE:
        return this.advance(1);
      case I16:
      case I32:
      case I64:
        this.varint();
        return;
      case DOUBLE:
        return this.advance(8);
      case BINARY:
        return this.advance(this.varint());
      case LIST:
      case SET: {
        const header = this.byte();
        const size = header >> 4 === 15 ? this.varint() : header >> 4;
        for (let i = 0; i < size; i++) this.skip(header & 0x0f, true);
        return;
      }
      case MAP: {
        const size = this.varint();
        if (size === 0) return;
        const types = this.byte();
        for (let i = 0; i < size; i++) {
          this.skip(types >> 4, true);
          this.skip(types & 0x0f, true);
        }
        return;
      }
      case STRUCT:
        for (let header = this.byte(); (header & 0x0f) !== STOP; header = this.byte()) {
          if (header >> 4 === 0) this.varint(); // a long-form field id
          this.skip(header & 0x0f);
        }
        return;
      default:
        throw new RangeError(`no compact protocol type ${type}`);
    }
  }
}
