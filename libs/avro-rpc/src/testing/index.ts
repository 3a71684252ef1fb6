/** @sluice/avro-rpc/testing: for tests only, not part of the library's public face. */
/** Throwaway certificate files (PEM, PKCS12, a JCEKS-looking file; JKS with keytool) made with openssl. */
export { makeTestCertFiles, type TestCertFiles } from './test-cert-files.js';
