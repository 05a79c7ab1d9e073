import { clientModelSuite } from '../helpers/client-model-suite.js';

clientModelSuite('kotlin', {
  label: 'Kotlin',
  declaration: 'class|typealias',
  good: 'data class Frame(\n    val id: String,\n    val ok: Boolean? = null\n)\n',
  bad: 'data class Frame(\n    val id: String,\n    val ok: Boolean? =\n',
});
