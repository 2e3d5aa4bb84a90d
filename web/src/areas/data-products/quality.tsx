import { ShieldAlert } from 'lucide-react';
import type { DataProduct } from '../../api/index.js';
import { Badge } from '../../ui/index.js';
import { failingCheckNames } from './describe.js';

/** Whether a product's contract checks pass, and which ones fail. */
export function QualityStatus({ product }: { readonly product: DataProduct }) {
  const { status } = product.quality;
  if (status === 'unknown')
    return (
      <span title="No contract check has run yet">
        <Badge>not checked</Badge>
      </span>
    );
  if (status === 'passing') return <Badge tone="success">passing</Badge>;
  const failing = failingCheckNames(product);
  return (
    <div className="dp-quality">
      <Badge tone="danger">failing</Badge>
      <ul className="dp-checks" aria-label={`Failing checks of ${product.name}`}>
        {failing.map((check) => (
          <li key={check} className="mono">
            {check}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The classification, with personal data called out because it limits who may use the data. */
export function Classification({ product }: { readonly product: DataProduct }) {
  return (
    <div className="dp-classification">
      <Badge tone={product.classification === 'restricted' ? 'danger' : 'neutral'}>
        {product.classification}
      </Badge>
      {product.personalData.length > 0 && (
        <span className="dp-personal" title={`Personal data: ${product.personalData.join(', ')}`}>
          <ShieldAlert size={14} aria-hidden />
          Personal data: {product.personalData.join(', ')}
        </span>
      )}
    </div>
  );
}
