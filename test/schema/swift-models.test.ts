import { clientModelSuite } from '../helpers/client-model-suite.js';

clientModelSuite('swift', {
  label: 'Swift',
  declaration: 'struct|enum|class|typealias',
  good: 'struct Frame: Codable {\n    let id: String\n    let ok: Bool?\n}\n',
  bad: 'struct Frame: Codable {\n    let id: String\n',
});
