import { describe, expect, it } from 'vitest';
import { asksForPerson, channelAskedFor } from './leave-requests.js';

describe('asksForPerson', () => {
  it.each([
    'I need to speak to someone',
    'can I talk to somebody please',
    'I want a human',
    'representative',
    'put me through to a real person',
    'I need to speek to somone',
    'quiero hablar con alguien',
    'je veux parler à quelqu’un',
    'let me talk to an agent',
  ])('"%s" asks for a person', (text) => {
    expect(asksForPerson(text)).toBe(true);
  });

  it.each([
    'I need someone to come and fix my meter',
    'When will it be fixed?',
    'store hours',
    'Why is my bill so high this month?',
    'can anyone tell me where my parcel is',
  ])('"%s" does not', (text) => {
    expect(asksForPerson(text)).toBe(false);
  });
});

describe('channelAskedFor', () => {
  it.each([
    ['Can we continue on web chat instead? Please send me a link', 'webchat'],
    ['can we continu on webchat insted', 'webchat'],
    ['send me a link', 'webchat'],
    ['Can we continue on WhatsApp instead?', 'whatsapp'],
    ['can we continue on whatsap insted', 'whatsapp'],
    ['On peut continuer sur WhatsApp?', 'whatsapp'],
  ] as const)('"%s" asks for %s', (text, channel) => {
    expect(channelAskedFor(text)).toBe(channel);
  });

  it.each(['Where is my order?', 'I chatted to you on the phone about my bill'])(
    '"%s" asks for none',
    (text) => {
      expect(channelAskedFor(text)).toBeUndefined();
    },
  );
});
