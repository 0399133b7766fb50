import type { UseQueryResult } from '@tanstack/react-query';
import { Button, Empty, Result, Skeleton } from 'antd';
import type { ReactNode } from 'react';
import { errorMessage } from '../api';
import { useT } from '../i18n';

/**
 * The three states every data view has besides its content. Pages use `QueryView` around a
 * TanStack query so that loading, failure (in words, with Retry) and "nothing yet" look the same
 * everywhere.
 */

export function Loading() {
  const t = useT();
  return (
    <div role="status" aria-label={t('state.loading')}>
      <Skeleton active paragraph={{ rows: 6 }} />
    </div>
  );
}

export function ErrorState(props: { error: unknown; onRetry?: () => void }) {
  const t = useT();
  return (
    <Result
      status="error"
      title={t('state.error')}
      subTitle={errorMessage(props.error)}
      extra={
        props.onRetry && (
          <Button type="primary" onClick={props.onRetry}>
            {t('state.retry')}
          </Button>
        )
      }
    />
  );
}

export function EmptyState(props: { description?: ReactNode; children?: ReactNode }) {
  const t = useT();
  return (
    <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={props.description ?? t('state.empty')}>
      {props.children}
    </Empty>
  );
}

/** Loading → Skeleton; error → Result with Retry; `isEmpty(data)` → Empty; else `children(data)`. */
export function QueryView<T>(props: {
  query: UseQueryResult<T>;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const { query } = props;
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (props.isEmpty?.(query.data)) return <EmptyState description={props.empty} />;
  return <>{props.children(query.data)}</>;
}
