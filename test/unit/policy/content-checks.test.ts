import { describe, expect, it } from 'vitest';
import { configuredDetectors, deploymentPolicyDefaults } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { buildPolicy, parsePolicySpec } from '../../../src/policy/spec.ts';

describe('content checks in the tenant policy', () => {
  it('follows the deployment default unless the tenant says otherwise', () => {
    const off = { checks: { nsfw: false } };
    const on = { checks: { nsfw: true } };
    expect(buildPolicy(0, undefined, off).checks.nsfw).toBe(false);
    expect(buildPolicy(0, undefined, on).checks.nsfw).toBe(true);
    expect(buildPolicy(1, parsePolicySpec({ checks: { nsfw: true } }), off).checks.nsfw).toBe(true);
    expect(buildPolicy(1, parsePolicySpec({ checks: { nsfw: false } }), on).checks.nsfw).toBe(false);
    // A policy that does not mention checks keeps the deployment's choice.
    expect(buildPolicy(2, parsePolicySpec({ rules: [{ match: 'meta.*', action: 'review' }] }), on).checks.nsfw).toBe(true);
  });

  it('refuses checks it does not know and values that are not booleans', () => {
    expect(() => parsePolicySpec({ checks: { violence: true } })).toThrow(/checks/);
    expect(() => parsePolicySpec({ checks: { nsfw: 'yes' } })).toThrow(/checks\.nsfw/);
  });
});

describe('TOLLGATE_NSFW', () => {
  const config = (value?: string) => loadConfig({ env: { TOLLGATE_DATA_DIR: '/nonexistent', ...(value === undefined ? {} : { TOLLGATE_NSFW: value }) } });
  const hasDetector = (value?: string) => configuredDetectors(config(value)).some((d) => d.name === 'content.nsfw');

  it('defaults to tenant: the detector is there, and runs for no tenant that does not ask', () => {
    expect(config().checks?.nsfw).toBe('tenant');
    expect(hasDetector()).toBe(true);
    expect(deploymentPolicyDefaults(config()).checks.nsfw).toBe(false);
  });

  it('true turns it on for every tenant; false never loads the model', () => {
    expect(config('true').checks?.nsfw).toBe('on');
    expect(deploymentPolicyDefaults(config('yes')).checks.nsfw).toBe(true);
    expect(config('false').checks?.nsfw).toBe('off');
    expect(hasDetector('0')).toBe(false);
    expect(config('TENANT').checks?.nsfw).toBe('tenant');
    expect(() => config('sometimes')).toThrow(/TOLLGATE_NSFW/);
  });
});
