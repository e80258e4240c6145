/** `resultInformation` of a mid-call event. */
export interface ResultInformation {
  code: number;
  subCode: number;
  message: string;
}

/**
 * Result information the emulator sends, with the subcodes of Microsoft's Call Automation troubleshooting table
 * (learn.microsoft.com: azure/communication-services/resources/troubleshooting/voice-video-calling/
 * troubleshooting-codes, "Generic subcodes"): 8569 Speech Recognized, 8563 Speech Not Recognized, 8545 / 8547
 * Speech Option (Not) Matched (choices), 8533 Dtmf Option Matched, 8531 Max Digits Received, 8514 Stop Tone
 * Detected, 8510 Initial Silence Timeout Reached, 8535 Invalid File Format, 8541 Callee Unavailable.
 */
export const RESULTS = {
  success: { code: 200, subCode: 0, message: 'Action completed successfully.' },
  speechRecognized: { code: 200, subCode: 8569, message: 'Action completed, speech recognized.' },
  choiceMatched: { code: 200, subCode: 8545, message: 'Action completed, speech option matched.' },
  dtmfChoiceMatched: { code: 200, subCode: 8533, message: 'Action completed, DTMF option matched.' },
  maxDigits: { code: 200, subCode: 8531, message: 'Action completed, max digits received.' },
  stopTone: { code: 200, subCode: 8514, message: 'Action completed, stop tone detected.' },
  silence: { code: 400, subCode: 8510, message: 'Action failed, initial silence timeout reached.' },
  speechNotRecognized: {
    code: 400,
    subCode: 8563,
    message: 'Action failed, speech could not be recognized.',
  },
  choiceNotMatched: { code: 400, subCode: 8547, message: 'Action failed, speech option not matched.' },
  playFailed: { code: 400, subCode: 8535, message: 'Action failed, file format is invalid.' },
  transferAccepted: { code: 202, subCode: 0, message: 'The transfer operation completed successfully.' },
  transferFailed: { code: 480, subCode: 8541, message: 'The transfer failed: the callee is unavailable.' },
  callEnded: { code: 200, subCode: 0, message: 'The conversation has ended.' },
} as const satisfies Record<string, ResultInformation>;
