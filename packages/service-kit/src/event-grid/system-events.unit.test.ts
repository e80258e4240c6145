import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ReceivedEvent } from './received-event.js';
import { type IncomingCallEventData, isSystemEventOfType } from './system-events.js';

function event(type: string): ReceivedEvent {
  return {
    schema: 'eventgrid',
    id: '1',
    type,
    source: '/subscriptions/x',
    subject: undefined,
    time: new Date(),
    data: {},
    dataVersion: '1.0',
    raw: {},
  };
}

describe('isSystemEventOfType', () => {
  it('given an event of the asked type, when checked, then it is true and narrows data to the delivered shape', () => {
    const incoming = event('Microsoft.Communication.IncomingCall');

    expect(isSystemEventOfType(incoming, 'Microsoft.Communication.IncomingCall')).toBe(true);
    if (isSystemEventOfType(incoming, 'Microsoft.Communication.IncomingCall')) {
      expectTypeOf(incoming.data).toEqualTypeOf<IncomingCallEventData>();
    }
  });

  it('given an event of another type, when checked, then it is false', () => {
    expect(
      isSystemEventOfType(event('Microsoft.Communication.CallEnded'), 'Microsoft.Communication.IncomingCall'),
    ).toBe(false);
    expect(
      isSystemEventOfType(
        event('microsoft.communication.incomingcall'),
        'Microsoft.Communication.IncomingCall',
      ),
    ).toBe(false);
  });
});
