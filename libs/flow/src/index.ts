/**
 * Sluice's flow components: sink processors, channel selectors and interceptors. The runtime
 * registers them from the plain lists below, explicitly.
 */
import type { InterceptorFactory, ProcessorFactory, SelectorFactory } from '@sluice/config';
import { defaultProcessor } from './default-processor/default-processor.js';
import { failoverProcessor } from './failover-processor/failover-processor.js';
import { hostInterceptor } from './host-interceptor/host-interceptor.js';
import { loadBalanceProcessor } from './load-balance-processor/load-balance-processor.js';
import { multiplexingSelector } from './multiplexing-selector/multiplexing-selector.js';
import { regexExtractorInterceptor } from './regex-extractor-interceptor/regex-extractor-interceptor.js';
import { regexFilterInterceptor } from './regex-filter-interceptor/regex-filter-interceptor.js';
import { removeHeaderInterceptor } from './remove-header-interceptor/remove-header-interceptor.js';
import { replicatingSelector } from './replicating-selector/replicating-selector.js';
import { searchReplaceInterceptor } from './search-replace-interceptor/search-replace-interceptor.js';
import { staticInterceptor } from './static-interceptor/static-interceptor.js';
import { timestampInterceptor } from './timestamp-interceptor/timestamp-interceptor.js';
import { uuidInterceptor } from './uuid-interceptor/uuid-interceptor.js';

export { defaultProcessor } from './default-processor/default-processor.js';
export { failoverProcessor } from './failover-processor/failover-processor.js';
export { hostInterceptor } from './host-interceptor/host-interceptor.js';
export { loadBalanceProcessor } from './load-balance-processor/load-balance-processor.js';
export { multiplexingSelector } from './multiplexing-selector/multiplexing-selector.js';
export { regexExtractorInterceptor } from './regex-extractor-interceptor/regex-extractor-interceptor.js';
export { regexFilterInterceptor } from './regex-filter-interceptor/regex-filter-interceptor.js';
export { removeHeaderInterceptor } from './remove-header-interceptor/remove-header-interceptor.js';
export { replicatingSelector } from './replicating-selector/replicating-selector.js';
export { searchReplaceInterceptor } from './search-replace-interceptor/search-replace-interceptor.js';
export { uuidInterceptor } from './uuid-interceptor/uuid-interceptor.js';
export { staticInterceptor } from './static-interceptor/static-interceptor.js';
export { timestampInterceptor } from './timestamp-interceptor/timestamp-interceptor.js';

export const INTERCEPTOR_FACTORIES: readonly InterceptorFactory[] = [
  staticInterceptor,
  timestampInterceptor,
  hostInterceptor,
  regexFilterInterceptor,
  regexExtractorInterceptor,
  searchReplaceInterceptor,
  removeHeaderInterceptor,
  uuidInterceptor,
];
export const SELECTOR_FACTORIES: readonly SelectorFactory[] = [replicatingSelector, multiplexingSelector];
export const PROCESSOR_FACTORIES: readonly ProcessorFactory[] = [defaultProcessor, failoverProcessor, loadBalanceProcessor];
