/** The module name a script imports the SDK by (the sandbox's only module; the save check refuses any other). */
export const SDK_MODULE = '@cryptobot/sdk';
