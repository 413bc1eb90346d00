// Structured models as LLM-written programs state them: Gaussian processes (latent and marginal),
// multivariate normals, correlation matrices, two-dimensional data arrays and categorical outcomes.
data {
  int<lower=1> N;
  int<lower=1> M;
  int<lower=1> K;
  int<lower=1> D;
  array[N] real x;
  vector[N] y;
  array[N] int<lower=0, upper=1> b;
  array[N] int<lower=1, upper=K> cat;
  array[M, N] real a2;
  matrix[N, D] X;
  array[N] vector[D] yv;
}
transformed data {
  int T = N + M;
  array[T] real xt = append_array(x, x[1:M]);
}
parameters {
  real<lower=0> rho;
  real<lower=0> alpha;
  real<lower=0> sigma;
  real mu;
  vector[N] z;
  vector[D] m;
  cholesky_factor_corr[D] L_Omega;
  vector<lower=0>[D] tau;
  vector[K] c;
  ordered[K - 1] cuts;
  simplex[K] theta;
  array[M] real r;
}
transformed parameters {
  vector[N] f;
  {
    matrix[N, N] L = cholesky_decompose(add_diag(gp_exp_quad_cov(x, alpha, rho), 1e-8));
    f = mu + L * z;
  }
}
model {
  matrix[N, N] Kmat = gp_exp_quad_cov(x, alpha, rho);
  matrix[N, N] Kmat2 = gp_matern32_cov(x, alpha, rho);
  matrix[N, N] Kmat3 = add_diag(gp_exp_quad_cov(x, alpha, rho), square(sigma));
  rho ~ inv_gamma(5, 5);
  rho ~ lognormal(log(10), 0.5);
  alpha ~ normal(0, 2) T[0, ];
  sigma ~ normal(0, 1) T[0, ];
  mu ~ normal(0, 2);
  z ~ std_normal();
  m ~ normal(0, 5);
  L_Omega ~ lkj_corr_cholesky(2);
  tau ~ cauchy(0, 2.5);
  c ~ normal(0, 1);
  theta ~ dirichlet(rep_vector(1, K));
  r ~ normal(mu, sigma);
  b ~ bernoulli_logit(f);
  b ~ bernoulli_logit(f[1:N]);
  y ~ normal(f, sigma);
  y ~ multi_normal(rep_vector(mu, N), add_diag(Kmat, square(sigma)));
  y ~ multi_normal_cholesky(rep_vector(mu, N), cholesky_decompose(add_diag(Kmat2, square(sigma))));
  y ~ multi_normal(rep_vector(0, N), Kmat3);
  yv ~ multi_normal_cholesky(m, diag_pre_multiply(tau, L_Omega));
  cat ~ categorical_logit(c);
  cat ~ categorical(theta);
  cat ~ ordered_logistic(X[, 1] * m[1], cuts);
  for (j in 1:M) {
    for (n in 1:N) {
      a2[j, n] ~ normal(r[j] + m[1] * (x[n] - 70), exp(c[1]));
    }
    to_vector(a2[j]) ~ normal(r[j], sigma);
  }
  for (n in 1:N) {
    b[n] ~ bernoulli(0.05 + 0.9 * inv_logit(f[n]));
    y[n] ~ normal(f[n], sigma);
  }
}
generated quantities {
  array[N] int b_new = bernoulli_logit_rng(f);
  array[M, N] real a2_new;
  vector[D] yv_new = multi_normal_cholesky_rng(m, diag_pre_multiply(tau, L_Omega));
  corr_matrix[D] Omega = multiply_lower_tri_self_transpose(L_Omega);
  for (j in 1:M) {
    for (n in 1:N) {
      a2_new[j, n] = normal_rng(r[j] + m[1] * (x[n] - 70), exp(c[1]));
    }
  }
}
