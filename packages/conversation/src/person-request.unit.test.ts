import { describe, expect, it } from 'vitest';
import { asksForPerson } from './person-request.js';

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
