/**
 * Default limit of what a compressed image may expand to, when its header does not say less
 * (the maxImageSize setting). Its own file: the config reads it at every start, without
 * loading the decompressor.
 */
export const DEFAULT_MAX_IMAGE_SIZE = 256 * 2 ** 30;
