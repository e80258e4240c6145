import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLASSIFICATION_JSON_SCHEMA,
  isClassificationFailure,
  parseClassification,
} from './classification.js';
import {
  classificationCacheKey,
  classifyCached,
  InMemoryClassificationCache,
} from './classification-cache.js';
import { extractEntities } from './entity-extraction.js';
import { OfflineClassifier, oneTypoApart } from './offline-classifier.js';
import { loadScenario, type Scenario } from './scenario.js';

let utilities: Scenario;
let ecommerce: Scenario;
beforeAll(async () => {
  utilities = await loadScenario('utilities');
  ecommerce = await loadScenario('ecommerce');
});

const clear: readonly [scenario: 'utilities' | 'ecommerce', agentId: string, text: string][] = [
  ['utilities', 'Billing', 'my electricity bill is wrong'],
  ['utilities', 'Billing', 'how do I pay by card'],
  ['utilities', 'Billing', 'I think my last bill charged me twice'],
  ['utilities', 'Outage', 'the power went out in my flat'],
  ['utilities', 'Outage', 'is there a power cut in BS1 6QA'],
  ['utilities', 'Outage', 'no electricity since this morning'],
  ['utilities', 'Service', 'my smart meter is broken, can someone come out'],
  ['utilities', 'Service', 'book an engineer visit for next week'],
  ['utilities', 'Service', 'the meter is showing an error'],
  ['utilities', 'Usage', 'how much gas did we use in March'],
  ['utilities', 'Usage', 'my energy consumption seems high'],
  ['utilities', 'Usage', 'how many kwh does the house use'],
  ['ecommerce', 'Returns', 'I want to send back the watch'],
  ['ecommerce', 'Returns', 'how do I return an item'],
  ['ecommerce', 'Returns', 'return ORD-10042 please, wrong size'],
  ['ecommerce', 'OrderTracking', 'where is my parcel ORD-10057'],
  ['ecommerce', 'OrderTracking', 'track my package'],
  ['ecommerce', 'OrderTracking', 'when will my delivery come'],
  ['ecommerce', 'Recommendations', 'recommend a good gift for my sister'],
  ['ecommerce', 'Recommendations', 'which headphones should I buy for the gym'],
  ['ecommerce', 'Recommendations', 'looking for a cheap speaker'],
  ['ecommerce', 'TechSupport', "my watch won't charge"],
  ['ecommerce', 'TechSupport', 'how do I reset the keyboard'],
  ['ecommerce', 'TechSupport', 'the speaker stopped working after the update'],
  ['ecommerce', 'CancellationsRefunds', 'cancel my order'],
  ['ecommerce', 'CancellationsRefunds', 'I want a refund of $20 for ORD-10042'],
  ['ecommerce', 'CancellationsRefunds', 'can I get my money back'],
];

describe('OfflineClassifier', () => {
  it.each(clear)(
    'given %s and a clear message for %s, when classified, then that agent wins unambiguously: %s',
    (name, agentId, text) => {
      const result = new OfflineClassifier(name === 'utilities' ? utilities : ecommerce).classifySync(text);
      if (isClassificationFailure(result)) throw new Error(`unexpected failure: ${result.detail}`);
      expect(result.agent_id).toBe(agentId);
      expect(result.ambiguous).toBe(false);
      expect(result.confidence).toBeGreaterThanOrEqual(0.5);
    },
  );

  it('given a message that mixes an outage and a bill, when classified, then it is ambiguous between them', () => {
    const result = new OfflineClassifier(utilities).classifySync('my power is out and my bill is too high');
    if (isClassificationFailure(result)) throw new Error('unexpected failure');
    expect(result.ambiguous).toBe(true);
    expect(
      result.candidates
        ?.slice(0, 2)
        .map((c) => c.agentId)
        .sort(),
    ).toEqual(['Billing', 'Outage']);
  });

  it('given a message with no content words, when classified, then it fails with no-match instead of guessing', () => {
    const result = new OfflineClassifier(utilities).classifySync('hello there');
    expect(result).toMatchObject({ kind: 'failure', reason: 'no-match' });
  });

  it('given the same input twice, when classified, then the results are identical (deterministic)', () => {
    const classifier = new OfflineClassifier(ecommerce);
    expect(classifier.classifySync('where is my refund')).toEqual(
      classifier.classifySync('where is my refund'),
    );
  });

  it('given an utterance with an order id and amount, when classified, then they are in entities', () => {
    const result = new OfflineClassifier(ecommerce).classifySync('I want a refund of $20 for ord-10042');
    expect(isClassificationFailure(result) ? undefined : result.entities).toEqual({
      orderId: 'ORD-10042',
      amount: '20 USD',
    });
  });
});

describe('extractEntities', () => {
  it('given account number, postcode, address and e-mail, when extracted, then each is found', () => {
    expect(
      extractEntities(
        'Account 4001234567, I live at 14 Cardigan Road, ls6 1lf; mail priya@example.com, owe £86.40',
      ),
    ).toEqual({
      accountNumber: '4001234567',
      postcode: 'LS6 1LF',
      address: '14 Cardigan Road',
      email: 'priya@example.com',
      amount: '86.40 GBP',
    });
  });

  it('given a US ZIP code after its label, when extracted, then it is the postcode', () => {
    expect(extractEntities('my zip code is 98052')).toEqual({ postcode: '98052' });
  });
});

describe('classification contract', () => {
  it('given the JSON schema, when inspected, then all five fields are required and no others allowed', () => {
    expect(CLASSIFICATION_JSON_SCHEMA.required).toEqual([
      'agent_id',
      'confidence',
      'ambiguous',
      'intent_summary',
      'entities',
    ]);
    expect(CLASSIFICATION_JSON_SCHEMA.additionalProperties).toBe(false);
  });

  it('given model output that is not JSON or has a confidence above 1, when parsed, then it is a malformed failure', () => {
    expect(parseClassification('not json')).toMatchObject({ kind: 'failure', reason: 'malformed' });
    expect(
      parseClassification({
        agent_id: 'Billing',
        confidence: 1.4,
        ambiguous: false,
        intent_summary: '',
        entities: {},
      }),
    ).toMatchObject({ kind: 'failure', reason: 'malformed', detail: expect.stringContaining('confidence') });
  });
});

describe('ClassificationCache', () => {
  it('given two messages differing only in case and spacing, when keyed, then the keys are equal', () => {
    expect(classificationCacheKey('utilities', 'My  POWER is out!')).toBe(
      classificationCacheKey('utilities', 'my power is out'),
    );
  });

  it('given a cached message, when classified again, then the classifier is not called', async () => {
    let calls = 0;
    const inner = new OfflineClassifier(utilities);
    const classifier = {
      classify: async (t: string) => {
        calls += 1;
        return inner.classify(t);
      },
    };
    const cache = new InMemoryClassificationCache();
    const first = await classifyCached(classifier, cache, 'utilities', 'My power is out');
    const second = await classifyCached(classifier, cache, 'utilities', 'my power is out.');
    expect(calls).toBe(1);
    expect(second).toEqual(first);
  });

  it('given a full cache, when a new entry is added, then the least recently used one is evicted', async () => {
    const cache = new InMemoryClassificationCache({ maxEntries: 2 });
    const value = {
      agent_id: 'Billing',
      confidence: 0.9,
      ambiguous: false,
      intent_summary: '',
      entities: {},
    };
    await cache.set('a', value);
    await cache.set('b', value);
    await cache.get('a');
    await cache.set('c', value);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toEqual(value);
  });

  it('given an entry older than the TTL, when read, then it is gone', async () => {
    let now = 0;
    const cache = new InMemoryClassificationCache({ ttlMs: 1000, clock: () => now });
    await cache.set('a', {
      agent_id: 'Billing',
      confidence: 0.9,
      ambiguous: false,
      intent_summary: '',
      entities: {},
    });
    now = 1000;
    expect(await cache.get('a')).toBeUndefined();
  });
});

describe('oneTypoApart (the offline classifier reads a word one typo from a known one as that word)', () => {
  it.each([
    ['retrun', 'return'],
    ['speek', 'speak'],
    ['powr', 'power'],
    ['hihg', 'high'],
  ])('"%s" is one typo from "%s"', (a, b) => {
    expect(oneTypoApart(a, b)).toBe(true);
  });

  it.each([
    ['bill', 'bill'],
    ['refund', 'return'],
    ['order', 'outage'],
  ])('"%s" is not one typo from "%s"', (a, b) => {
    expect(oneTypoApart(a, b)).toBe(false);
  });
});
