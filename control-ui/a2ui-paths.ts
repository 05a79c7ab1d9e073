/** Where the A2UI host page lives on the gateway port and on the canvas host. */
export const A2UI_PATH = '/__openclaw__/a2ui';
