import { expect, it } from 'vitest';
import { LAYER_SPECS } from '../../../../shared/packet/index.js';
import { codecLabel } from './labels.js';

it('every layer and field label of the codecs has its Simplified Chinese name', () => {
  const labels = Object.values(LAYER_SPECS).flatMap((c) => [c.label, ...c.fields.map((f) => f.label)]);
  const missing = labels.filter((l) => codecLabel(l, 'zh-CN') === l && !/^(IPv4|IPv6|ICMP|ICMPv6|TCP|UDP|DSCP|ECN|MTU)$/.test(l));
  expect(missing).toEqual([]);
  expect(codecLabel('Time to live', 'en')).toBe('Time to live');
});

it('every built-in template has its name and description in Simplified Chinese', async () => {
  const { codecHelp } = await import('./help-zh.js');
  const { TEMPLATES } = await import('../../../../shared/packet/templates.js');
  const texts = TEMPLATES.flatMap((x) => [x.name, x.description]).filter((s) => s !== 'TCP SYN');
  expect([...new Set(texts.filter((s) => codecHelp(s, 'zh-CN') === s))]).toEqual([]);
});

it('every description of a layer and a field has its Simplified Chinese text (the missing ones listed)', async () => {
  const { codecHelp } = await import('./help-zh.js');
  const helps = Object.values(LAYER_SPECS).flatMap((c) => [c.help, ...c.fields.map((f) => f.help)]).filter((h): h is string => typeof h === 'string' && h !== '');
  expect(helps.length).toBeGreaterThan(60);
  expect([...new Set(helps.filter((h) => codecHelp(h, 'zh-CN') === h))]).toEqual([]);
  expect(codecHelp(helps[0]!, 'en')).toBe(helps[0]);
});
