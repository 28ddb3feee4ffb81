import { describe, expect, it } from 'vitest';
import { approximateSubstring, canonical, matchAgency, matchFragments, matchPartialLine, matchWholeLine } from '../../../../src/detectors/copyright/agencies.ts';

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
});
