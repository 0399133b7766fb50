import { PlusOutlined } from '@ant-design/icons';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Flex,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Select,
  Space,
  Switch,
  Table,
  Tabs,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useState } from 'react';
import {
  addCategory,
  addProduct,
  type Category,
  deleteCategory,
  listCategories,
  listProducts,
  type MerchantScope,
  type Product,
  updateCategory,
  updateProduct,
} from '../api';
import { Page } from '../components/Page';
import { EmptyState, ErrorState, Loading, QueryView } from '../components/PageState';
import { useT } from '../i18n';
import { formatYuan, parsePositiveCents } from '../money';
import { explainError, MerchantPicker, useMerchantScope } from './Accounts';

const PAGE = 50;

interface ProductForm {
  name: string;
  price: string;
  unlimited: boolean;
  stock: number | null;
  enabled: boolean;
  category_id?: number;
  description: string;
  image: string;
}

function ProductModal(props: {
  scope: MerchantScope;
  categories: Category[];
  editing: Product | 'new' | null;
  onClose: () => void;
}) {
  const t = useT();
  const qc = useQueryClient();
  const [form] = Form.useForm<ProductForm>();
  const unlimited = Form.useWatch('unlimited', form);
  const p = props.editing === 'new' ? null : props.editing;
  const mutation = useMutation({
    mutationFn: (v: ProductForm) => {
      const body = {
        name: v.name.trim(),
        price: v.price.trim(),
        stock: v.unlimited ? null : (v.stock ?? 0),
        enabled: v.enabled,
        category_id: v.category_id,
        description: v.description ?? '',
        image: (v.image ?? '').trim(),
      };
      return p ? updateProduct(p.id, body) : addProduct(props.scope, body);
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['products'] });
      void qc.invalidateQueries({ queryKey: ['categories'] });
      props.onClose();
    },
  });
  return (
    <Modal
      open={props.editing !== null}
      title={t(p ? 'prod.editTitle' : 'prod.addTitle')}
      okText={t('acc.save')}
      cancelText={t('acc.cancel')}
      onCancel={props.onClose}
      onOk={() => form.submit()}
      okButtonProps={{ loading: mutation.isPending }}
      destroyOnHidden
    >
      <Form<ProductForm>
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={{
          name: p?.name ?? '',
          price: p?.price ?? '',
          unlimited: p ? p.stock === null : false,
          stock: p?.stock ?? 0,
          enabled: p?.enabled ?? true,
          category_id: p?.category_id ?? props.categories[0]?.id,
          description: p?.description ?? '',
          image: p?.image ?? '',
        }}
        onFinish={(v) => mutation.mutate(v)}
      >
        <Form.Item
          label={t('prod.name')}
          name="name"
          rules={[{ required: true, whitespace: true, max: 200, message: t('prod.nameRequired') }]}
        >
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item
          label={t('prod.price')}
          name="price"
          rules={[
            {
              validator: (_, v: string | undefined) =>
                v && parsePositiveCents(v) !== null
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('prod.priceInvalid'))),
            },
          ]}
        >
          <Input prefix="¥" inputMode="decimal" placeholder="9.90" />
        </Form.Item>
        <Form.Item
          label={t('prod.category')}
          name="category_id"
          extra={props.categories.length === 0 ? t('prod.categoryDefault') : undefined}
        >
          <Select allowClear options={props.categories.map((c) => ({ value: c.id, label: c.name }))} />
        </Form.Item>
        <Form.Item label={t('prod.stock')} required>
          <Flex gap={12} align="center" wrap>
            <Form.Item name="stock" noStyle>
              <InputNumber<number>
                aria-label={t('prod.stock')}
                min={0}
                precision={0}
                disabled={unlimited}
                style={{ width: 140 }}
              />
            </Form.Item>
            <Form.Item name="unlimited" valuePropName="checked" noStyle>
              <Checkbox>{t('prod.unlimited')}</Checkbox>
            </Form.Item>
          </Flex>
        </Form.Item>
        <Form.Item label={t('prod.enabled')} name="enabled" valuePropName="checked">
          <Switch />
        </Form.Item>
        <Form.Item label={t('prod.description')} name="description">
          <Input.TextArea rows={2} maxLength={2000} />
        </Form.Item>
        <Form.Item label={t('prod.image')} name="image">
          <Input placeholder="https://…" maxLength={1000} />
        </Form.Item>
        {mutation.isError && <Alert type="error" showIcon title={explainError(mutation.error)} />}
      </Form>
    </Modal>
  );
}

function StockCell(props: { stock: number | null }) {
  const t = useT();
  if (props.stock === null) return <Typography.Text type="secondary">{t('prod.unlimited')}</Typography.Text>;
  if (props.stock === 0) return <Tag color="red">{t('prod.soldOut')}</Tag>;
  return <span>{props.stock}</span>;
}

function EnabledCell(props: { product: Product }) {
  const t = useT();
  const qc = useQueryClient();
  const m = useMutation({
    mutationFn: (enabled: boolean) => updateProduct(props.product.id, { enabled }),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['products'] }),
  });
  return (
    <Switch
      size="small"
      aria-label={t('prod.enabledFor', { name: props.product.name })}
      checked={props.product.enabled}
      loading={m.isPending}
      onChange={(v) => m.mutate(v)}
    />
  );
}

function ProductsTab(props: { scope: MerchantScope; categories: Category[] }) {
  const t = useT();
  const [categoryId, setCategoryId] = useState<number | undefined>(undefined);
  const [editing, setEditing] = useState<Product | 'new' | null>(null);
  const query = useInfiniteQuery({
    queryKey: ['products', props.scope, categoryId],
    queryFn: ({ pageParam }) =>
      listProducts({ ...props.scope, category_id: categoryId, after_id: pageParam, limit: PAGE }),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => last.next_after_id ?? undefined,
  });
  const names = new Map(props.categories.map((c) => [c.id, c.name]));
  const rows = query.data?.pages.flatMap((p) => p.products) ?? [];
  return (
    <>
      <Flex justify="space-between" wrap gap={8} style={{ marginBottom: 12 }}>
        <Select<number>
          aria-label={t('prod.filterCategory')}
          allowClear
          placeholder={t('prod.allCategories')}
          style={{ minWidth: 180 }}
          value={categoryId}
          onChange={(v) => setCategoryId(v)}
          options={props.categories.map((c) => ({ value: c.id, label: c.name }))}
        />
        <Button type="primary" icon={<PlusOutlined aria-hidden />} onClick={() => setEditing('new')}>
          {t('prod.add')}
        </Button>
      </Flex>
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : rows.length === 0 ? (
        <Card>
          <EmptyState description={t('prod.empty')} />
        </Card>
      ) : (
        <Card styles={{ body: { padding: 0 } }}>
          <Table<Product>
            rowKey="id"
            dataSource={rows}
            pagination={false}
            scroll={{ x: 'max-content' }}
            columns={[
              { title: t('prod.id'), dataIndex: 'id', key: 'id', width: 70 },
              {
                title: t('prod.name'),
                key: 'name',
                render: (_, p) => (
                  <Button type="link" style={{ padding: 0 }} onClick={() => setEditing(p)}>
                    {p.name}
                  </Button>
                ),
              },
              {
                title: t('prod.category'),
                key: 'category',
                render: (_, p) =>
                  p.category_id === null ? '—' : (names.get(p.category_id) ?? p.category_id),
              },
              { title: t('prod.price'), key: 'price', align: 'right', render: (_, p) => formatYuan(p.price) },
              {
                title: t('prod.stock'),
                key: 'stock',
                align: 'right',
                render: (_, p) => <StockCell stock={p.stock} />,
              },
              { title: t('prod.enabled'), key: 'enabled', render: (_, p) => <EnabledCell product={p} /> },
              {
                title: t('acc.actions'),
                key: 'actions',
                render: (_, p) => (
                  <Button size="small" onClick={() => setEditing(p)}>
                    {t('acc.edit')}
                  </Button>
                ),
              },
            ]}
          />
          {query.hasNextPage && (
            <Flex justify="center" style={{ padding: 12 }}>
              <Button loading={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
                {t('prod.more')}
              </Button>
            </Flex>
          )}
        </Card>
      )}
      <ProductModal
        scope={props.scope}
        categories={props.categories}
        editing={editing}
        onClose={() => setEditing(null)}
      />
    </>
  );
}

function CategoriesTab(props: { scope: MerchantScope; categories: Category[] }) {
  const t = useT();
  const qc = useQueryClient();
  const [form] = Form.useForm<{ name: string; sort: number }>();
  const [editing, setEditing] = useState<Category | null>(null);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['categories'] });
    void qc.invalidateQueries({ queryKey: ['products'] });
  };
  const add = useMutation({
    mutationFn: (v: { name: string; sort?: number }) =>
      addCategory(props.scope, { name: v.name.trim(), sort: v.sort ?? 0 }),
    onSuccess: () => {
      form.resetFields();
      refresh();
    },
  });
  const save = useMutation({
    mutationFn: (v: { id: number; name: string; sort: number }) =>
      updateCategory(v.id, { name: v.name.trim(), sort: v.sort }),
    onSuccess: () => {
      setEditing(null);
      refresh();
    },
  });
  const remove = useMutation({ mutationFn: (id: number) => deleteCategory(id), onSuccess: refresh });
  const error = add.error ?? save.error ?? remove.error;
  return (
    <Flex vertical gap={12}>
      <Form form={form} layout="inline" onFinish={(v) => add.mutate(v)} style={{ rowGap: 8 }}>
        <Form.Item
          label={t('prod.categoryName')}
          name="name"
          rules={[{ required: true, whitespace: true, max: 50, message: t('prod.categoryNameRequired') }]}
        >
          <Input maxLength={50} style={{ width: 180 }} />
        </Form.Item>
        <Form.Item label={t('prod.sort')} name="sort">
          <InputNumber<number> precision={0} style={{ width: 90 }} />
        </Form.Item>
        <Button type="primary" htmlType="submit" icon={<PlusOutlined aria-hidden />} loading={add.isPending}>
          {t('prod.addCategory')}
        </Button>
      </Form>
      {error && <Alert type="error" showIcon title={explainError(error)} />}
      {props.categories.length === 0 ? (
        <Card>
          <EmptyState description={t('prod.noCategories')} />
        </Card>
      ) : (
        <Card styles={{ body: { padding: 0 } }}>
          <Table<Category>
            rowKey="id"
            dataSource={props.categories}
            pagination={false}
            scroll={{ x: 'max-content' }}
            columns={[
              { title: t('prod.categoryName'), dataIndex: 'name', key: 'name' },
              { title: t('prod.sort'), dataIndex: 'sort', key: 'sort', align: 'right' },
              { title: t('prod.productCount'), dataIndex: 'products', key: 'products', align: 'right' },
              {
                title: t('acc.actions'),
                key: 'actions',
                render: (_, c) => (
                  <Space>
                    <Button size="small" onClick={() => setEditing(c)}>
                      {t('acc.edit')}
                    </Button>
                    {c.products > 0 ? (
                      <Tooltip title={t('prod.cannotDelete')}>
                        <Button size="small" danger disabled>
                          {t('prod.delete')}
                        </Button>
                      </Tooltip>
                    ) : (
                      <Popconfirm
                        title={t('prod.deleteConfirm', { name: c.name })}
                        okText={t('prod.delete')}
                        cancelText={t('acc.cancel')}
                        okButtonProps={{ danger: true }}
                        onConfirm={() => remove.mutate(c.id)}
                      >
                        <Button size="small" danger>
                          {t('prod.delete')}
                        </Button>
                      </Popconfirm>
                    )}
                  </Space>
                ),
              },
            ]}
          />
        </Card>
      )}
      <Modal
        open={editing !== null}
        title={t('prod.editCategory')}
        okText={t('acc.save')}
        cancelText={t('acc.cancel')}
        onCancel={() => setEditing(null)}
        okButtonProps={{ loading: save.isPending, form: 'category-edit', htmlType: 'submit' }}
        destroyOnHidden
      >
        {editing && (
          <Form<{ name: string; sort: number }>
            id="category-edit"
            layout="vertical"
            initialValues={{ name: editing.name, sort: editing.sort }}
            onFinish={(v) => save.mutate({ id: editing.id, name: v.name, sort: v.sort ?? 0 })}
          >
            <Form.Item
              label={t('prod.categoryName')}
              name="name"
              rules={[{ required: true, whitespace: true, max: 50, message: t('prod.categoryNameRequired') }]}
            >
              <Input maxLength={50} />
            </Form.Item>
            <Form.Item label={t('prod.sort')} name="sort">
              <InputNumber<number> precision={0} />
            </Form.Item>
          </Form>
        )}
      </Modal>
    </Flex>
  );
}

/**
 * The catalogue merchant sites sell from with stablepay (`product_id`) and grouppay
 * (`fields=id:qty,…`): products with price and stock, in categories.
 */
export default function Products() {
  const t = useT();
  const { operator, merchantId, scope } = useMerchantScope();
  const categories = useQuery({
    queryKey: ['categories', scope],
    queryFn: () => listCategories(scope),
    enabled: !operator || merchantId !== undefined,
  });
  return (
    <Page titleKey="nav.products" extra={operator && <MerchantPicker required />}>
      {operator && merchantId === undefined ? (
        <Card>
          <EmptyState description={t('acc.pickMerchant')} />
        </Card>
      ) : (
        <QueryView query={categories}>
          {(d) => (
            <>
              <Typography.Paragraph type="secondary">{t('prod.hint')}</Typography.Paragraph>
              <Tabs
                items={[
                  {
                    key: 'products',
                    label: t('prod.tabProducts'),
                    children: <ProductsTab scope={scope} categories={d.categories} />,
                  },
                  {
                    key: 'categories',
                    label: t('prod.tabCategories', { n: d.categories.length }),
                    children: <CategoriesTab scope={scope} categories={d.categories} />,
                  },
                ]}
              />
            </>
          )}
        </QueryView>
      )}
    </Page>
  );
}
