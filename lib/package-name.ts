/** This package's npm name (package.json `name`; a test keeps them equal). The CLI stays `openclaw`. */
export const PACKAGE_NAME = 'clawgate';
