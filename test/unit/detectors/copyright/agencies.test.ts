import { describe, expect, it } from 'vitest';
import { approximateSubstring, canonical, hintsAtAgency, matchAgency, matchFragments, matchPartialLine, matchWholeLine } from '../../../../src/detectors/copyright/agencies.ts';

describe('approximateSubstring', () => {
  it('counts the fewest edits to any part of the text', () => {
    expect(approximateSubstring('stock', 'shutterstock')).toEqual({ edits: 0, end: 12 });
    expect(approximateSubstring('shutterstock', 'xxshutterst0ckyy').edits).toBe(1);
    expect(approximateSubstring('abc', '').edits).toBe(3);
  });
});

describe('matchAgency', () => {
  // Reads the OCR engine produced for rendered watermarks in eval/copyright.ts.
  it.each([
    ['shutterstock', 'Shutterstock'],
    ['LUTterstock', 'Shutterstock'],
    ['shutteostock', 'Shutterstock'],
    ['Getty Images', 'Getty Images'],
    ['Credit: Getty lmages', 'Getty Images'],
    ['iStock.com/photographer', 'iStock'],
    ['istock.com/ph pher', 'iStock'],
    ['Stock.com/photographer', 'iStock'],
    ['utterstock.com:1984412345', 'Shutterstock'],
    ['shutterstock.com · 1984412345', 'Shutterstock'],
    ['9 Dreamstime.com', 'Dreamstime'],
    ['Dreamstime.cem', 'Dreamstime'],
    ['Alamy Stock Photo', 'Alamy'],
    ['Adobe Stock | #412345678', 'Adobe Stock'],
    ['depositphotos.com', 'Depositphotos'],
    ['© 123RF.com', '123RF'],
  ])('reads %j as %s', (text, agency) => {
    expect(matchAgency(text)?.agency).toBe(agency);
  });

  // Text from the clean photos (labels, signs) and words that are close to short agency names.
  it.each(['Fisher-Price', 'stock', 'In stock now', 'Image ID: 1984412345', 'ponds', 'Alamo', 'shutter', 'CRAFT BEER', 'getty', 'dream team'])('leaves %j alone', (text) => {
    expect(matchAgency(text)).toBeNull();
  });

  it('folds the usual recognition confusions on both sides', () => {
    expect(canonical('Getty lmages')).toBe(canonical('Getty Images'));
    expect(canonical('rn')).toBe('m');
  });
});

describe('matchWholeLine', () => {
  it('accepts one edit in a short name with digits only when it is the whole line', () => {
    expect(matchWholeLine('13RF')?.agency).toBe('123RF');
    expect(matchWholeLine('13RF photo library')).toBeNull();
    expect(matchWholeLine('stock')).toBeNull();
  });
});

describe('matchFragments', () => {
  it('puts a diagonal tiled watermark back together from its pieces', () => {
    expect(matchFragments(['Fisher-Price', 'ageGetty', 'deGetty', 'Image', 'eGetty', 'geGet', 'tty'])?.agency).toBe('Getty Images');
    expect(matchFragments(['Tm', 'Getty', 'ageGetty', 'geGetty', 'ImageGetty lmag', 'ImageGe'])?.agency).toBe('Getty Images');
  });

  it('needs several pieces that cover most of the name', () => {
    // The same word three times covers only part of "gettyimages".
    expect(matchFragments(['image', 'Image', 'images'])).toBeNull();
    expect(matchFragments(['ageGetty', 'Getty'])).toBeNull();
    expect(matchFragments(['stock', 'Stock', 'STOCK', 'shutter'])).toBeNull();
  });
});

describe('matchPartialLine', () => {
  it('accepts a line that is most of a name, as faint marks are read', () => {
    expect(matchPartialLine('istoek')?.agency).toBe('iStock');
    expect(matchPartialLine('reamstne')?.agency).toBe('Dreamstime');
    expect(matchPartialLine('alam')?.agency).toBe('Alamy');
  });

  it('ignores ordinary words that are part of a name, and lines with more in them', () => {
    for (const text of ['stock', 'Stock', 'In stock', 'images', 'Photos', 'Dream', 'Alamo', 'alamo drafthouse', 'getty']) expect(matchPartialLine(text), text).toBeNull();
  });
});

describe('matchAgency order', () => {
  it('prefers the name that comes first', () => {
    expect(matchAgency('iStock by Getty Images')?.agency).toBe('iStock');
    expect(matchAgency('Getty Images / iStockphoto')?.agency).toBe('Getty Images');
  });

  it('reads a cut-off "Alamy Stock Photo" as no agency rather than iStock', () => {
    // Reads of the corner credit of a bookshelf photo at 50 % opacity (eval/copyright.ts).
    for (const text of ['StockPhoto', 'tockPnoto', 'amy Stock Photo', 'LStockPhoto']) {
      expect(matchAgency(text), text).toBeNull();
      expect(matchPartialLine(text), text).toBeNull();
    }
    expect(matchFragments(['StockPhoto', 'tockPhoto', 'Stock Photo', 'ockPhoto'])).toBeNull();
    expect(matchAgency('iStockphoto')?.agency).toBe('iStock');
  });

  it('takes digits read for letters of a name, one way only', () => {
    // A faint Adobe Stock credit (eval/copyright.ts, corner at 30 %).
    expect(matchAgency('4dobe-5tock#412345678')).toMatchObject({ agency: 'Adobe Stock', edits: 0 });
    expect(matchAgency('ponds')).toBeNull();
  });

  it('allows a short brand before a generic word one edit at most', () => {
    // A centred Shutterstock mark at 15 % over a soy sauce label, read in pieces: not "adobe stock" two letters off.
    expect(matchAgency('shutt TAVORE stock')).toBeNull();
    expect(matchAgency('Adobe 5tock')?.agency).toBe('Adobe Stock');
    expect(matchAgency('Gety Images')?.agency).toBe('Getty Images');
  });
});

describe('hintsAtAgency', () => {
  it('asks for a closer read of garbled names and pieces of names', () => {
    // First-pass reads of faint marks in eval/copyright.ts that named no agency.
    for (const text of ['N23KF', '2BRF', 'ositp', 'amstir', 'shuter']) expect(hintsAtAgency(text), text).toBe(true);
  });

  it('not of ordinary lettering', () => {
    // Lines read on the clean photos: labels, a notebook, a sign.
    for (const text of ['Sevgili Dost,', 'CRAFT BEER', 'KIKKOMAN', 'Soy Sauce', 'complete:', 'stock', 'images']) expect(hintsAtAgency(text), text).toBe(false);
  });
});
