// tests/k8s/render.test.mjs - every kustomization under k8s/ renders with
// the kustomize inside kubectl, into objects that are unique and complete.
// The renders are kept in build/k8s/<name>.yaml for reading.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OVERLAYS, id, render, targets } from './lib/manifests.mjs';

describe('render', () => {
	it('finds the base and every documented overlay', () => {
		const names = targets().map((t) => t.name);
		assert.deepEqual(names.filter((n) => n !== 'base').sort(), [...OVERLAYS].sort());
	});

	for (const t of targets()) {
		it(`renders ${t.name}`, () => {
			const objs = render(t.name);
			assert.ok(objs.length > 0, 'empty render');
			const ids = objs.map(id);
			assert.deepEqual(ids.filter((x, i) => ids.indexOf(x) !== i), [],
			    'duplicate objects');
			for (const o of objs) {
				assert.equal(typeof o.apiVersion, 'string', 'apiVersion');
				assert.equal(typeof o.kind, 'string', 'kind');
				assert.match(o.metadata?.name ?? '', /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
				    `${id(o)}: name`);
			}
		});
	}
});
