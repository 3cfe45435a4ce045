// The server actions the two-factor section calls, in the shape it takes them (shared by
// Your account and the set-up page a workspace that requires two factors sends its members to).
import {
  confirmTotpSetupAction,
  finishPasskeyRegistrationAction,
  regenerateRecoveryCodesAction,
  removePasskeyAction,
  startPasskeyRegistrationAction,
  startTotpSetupAction,
  turnOffTotpAction,
} from "./two-factor-actions";

export const twoFactorActions = {
  startTotp: startTotpSetupAction,
  confirmTotp: confirmTotpSetupAction,
  turnOffTotp: turnOffTotpAction,
  regenerateCodes: regenerateRecoveryCodesAction,
  startPasskey: startPasskeyRegistrationAction,
  finishPasskey: finishPasskeyRegistrationAction,
  removePasskey: removePasskeyAction,
};
