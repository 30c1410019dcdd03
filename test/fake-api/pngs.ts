/* eslint-disable @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * Small, real PNG files made in memory, so the fake can serve result images that any decoder accepts
 * and tests can tell apart: every image's colour derives from its task id and quarter.
 *
 * Only node:crypto and node:zlib are used (PNG = signature + CRC-checked chunks + a zlib stream).
 */
import { createHash } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';

export type RgbColour = [red: number, green: number, blue: number];

/** Which image of a result: one of the four split quarters (0..3), or the 2x2 grid of all four. */
export type ResultImageKind = 0 | 1 | 2 | 3 | 'grid';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Side of one quarter image in pixels; the grid is twice as wide and high. */
export const QUARTER_SIZE_PX = 16;

const CRC32_TABLE: Uint32Array = (() => {
	const table = new Uint32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++) {
			c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		}
		table[n] = c >>> 0;
	}
	return table;
})();

/** The CRC-32 PNG chunks carry (ISO 3309 / ITU-T V.42, as in the PNG specification). */
export function crc32(data: Buffer): number {
	let crc = 0xffffffff;
	for (const byte of data) {
		crc = CRC32_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
	}
	return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
	const length = Buffer.alloc(4);
	length.writeUInt32BE(data.length);
	const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(typeAndData));
	return Buffer.concat([length, typeAndData, crc]);
}

/** Encodes an 8-bit RGB image (no alpha, no interlace); `colourAt` gives each pixel's colour. */
export function encodeRgbPng(width: number, height: number, colourAt: (x: number, y: number) => RgbColour): Buffer {
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(height, 4);
	header[8] = 8; // bit depth
	header[9] = 2; // colour type: truecolour (RGB)
	header[10] = 0; // compression: deflate
	header[11] = 0; // filter method 0
	header[12] = 0; // no interlace

	const rowLength = 1 + width * 3; // each scanline starts with its filter type byte (0 = none)
	const raw = Buffer.alloc(rowLength * height);
	for (let y = 0; y < height; y++) {
		raw[y * rowLength] = 0;
		for (let x = 0; x < width; x++) {
			const [red, green, blue] = colourAt(x, y);
			const offset = y * rowLength + 1 + x * 3;
			raw[offset] = red;
			raw[offset + 1] = green;
			raw[offset + 2] = blue;
		}
	}

	return Buffer.concat([
		PNG_SIGNATURE,
		pngChunk('IHDR', header),
		pngChunk('IDAT', deflateSync(raw)),
		pngChunk('IEND', Buffer.alloc(0)),
	]);
}

/** The colour of one quarter of a task's result: stable for the same task, different across tasks and quarters. */
export function colourForQuarter(taskId: string, quarter: 0 | 1 | 2 | 3): RgbColour {
	const digest = createHash('sha256').update(`${taskId}:${quarter}`).digest();
	return [digest[0], digest[1], digest[2]];
}

/**
 * The PNG the fake serves for a task's result image. A quarter is a 16x16 solid square of its colour;
 * the grid is 32x32 with the four quarters in reading order (0 top-left, 1 top-right, 2 bottom-left,
 * 3 bottom-right), like Midjourney's 2x2 grid. The sizes do not match the 960x1200 the API reports:
 * tests only need a valid image they can identify, not a big one.
 */
export function resultImagePng(taskId: string, kind: ResultImageKind): Buffer {
	if (kind !== 'grid') {
		const colour = colourForQuarter(taskId, kind);
		return encodeRgbPng(QUARTER_SIZE_PX, QUARTER_SIZE_PX, () => colour);
	}
	const quarterColours = ([0, 1, 2, 3] as const).map((quarter) => colourForQuarter(taskId, quarter));
	return encodeRgbPng(QUARTER_SIZE_PX * 2, QUARTER_SIZE_PX * 2, (x, y) => {
		const quarterIndex = (y < QUARTER_SIZE_PX ? 0 : 2) + (x < QUARTER_SIZE_PX ? 0 : 1);
		return quarterColours[quarterIndex];
	});
}

/**
 * The PNG the fake serves for an upscaled quarter (upscale1..4 on a grid, then upscale_2x/4x): the
 * colour of that quarter of the source grid, 32x32 times the scale, so a test can tell which quarter
 * of which grid was upscaled, and how far.
 */
export function upscaledImagePng(gridTaskId: string, quarter: 0 | 1 | 2 | 3, scale: 1 | 2 | 4): Buffer {
	const colour = colourForQuarter(gridTaskId, quarter);
	const side = QUARTER_SIZE_PX * 2 * scale;
	return encodeRgbPng(side, side, () => colour);
}

export interface PngInspection {
	width: number;
	height: number;
	bitDepth: number;
	colourType: number;
	/** The colour of one pixel; only for the 8-bit RGB, unfiltered images this module writes. */
	pixelAt(x: number, y: number): RgbColour;
}

/**
 * Checks a PNG's signature and IHDR chunk (including its CRC) and reads its size; throws on anything
 * invalid. Tests use it to prove a download is a real image and, through `pixelAt`, which image it is.
 */
export function inspectPng(png: Buffer): PngInspection {
	if (png.length < PNG_SIGNATURE.length + 25 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) {
		throw new Error('not a PNG: the 8-byte signature is missing');
	}
	const chunks = new Map<string, Buffer[]>();
	let offset = 8;
	while (offset + 12 <= png.length) {
		const length = png.readUInt32BE(offset);
		const type = png.toString('ascii', offset + 4, offset + 8);
		const data = png.subarray(offset + 8, offset + 8 + length);
		const storedCrc = png.readUInt32BE(offset + 8 + length);
		if (crc32(png.subarray(offset + 4, offset + 8 + length)) !== storedCrc) {
			throw new Error(`PNG chunk ${type} has a wrong CRC`);
		}
		chunks.set(type, [...(chunks.get(type) ?? []), data]);
		offset += 12 + length;
	}
	if (png.toString('ascii', 12, 16) !== 'IHDR') throw new Error('PNG does not start with an IHDR chunk');
	if (!chunks.has('IEND')) throw new Error('PNG has no IEND chunk');
	const header = chunks.get('IHDR')![0];
	const width = header.readUInt32BE(0);
	const height = header.readUInt32BE(4);
	const bitDepth = header[8];
	const colourType = header[9];
	let pixels: Buffer | undefined;
	return {
		width,
		height,
		bitDepth,
		colourType,
		pixelAt(x: number, y: number): RgbColour {
			if (bitDepth !== 8 || colourType !== 2) throw new Error('pixelAt only reads 8-bit RGB PNGs');
			pixels ??= inflateSync(Buffer.concat(chunks.get('IDAT') ?? []));
			const rowLength = 1 + width * 3;
			if (pixels[y * rowLength] !== 0) throw new Error('pixelAt only reads unfiltered scanlines');
			const start = y * rowLength + 1 + x * 3;
			return [pixels[start], pixels[start + 1], pixels[start + 2]];
		},
	};
}
