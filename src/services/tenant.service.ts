import type { DataSource, Repository } from 'typeorm';
import { AppError } from '../errors';
import { TenantEntity } from '../entities';
import { newId } from '../ids';

export class TenantService {
  private readonly tenants: Repository<TenantEntity>;

  constructor(dataSource: DataSource) {
    this.tenants = dataSource.getRepository(TenantEntity);
  }

  async create(name: string): Promise<TenantEntity> {
    const trimmed = name.trim();
    if (!/^[\w .-]{1,100}$/.test(trimmed)) {
      throw new AppError(
        'BAD_USER_INPUT',
        'name: 1–100 letters, digits, spaces, dots, dashes or underscores',
        {
          field: 'name',
        },
      );
    }
    if (await this.tenants.existsBy({ name: trimmed })) {
      throw new AppError('CONFLICT', `a tenant named "${trimmed}" already exists`);
    }
    const tenant = this.tenants.create({ id: newId('tenant'), name: trimmed, createdAt: new Date() });
    await this.tenants.insert(tenant);
    return tenant;
  }

  async findByName(name: string): Promise<TenantEntity | null> {
    return this.tenants.findOneBy({ name });
  }

  /** Returns the tenant with that name, creating it when absent. */
  async ensure(name: string): Promise<TenantEntity> {
    return (await this.findByName(name)) ?? this.create(name);
  }
}
