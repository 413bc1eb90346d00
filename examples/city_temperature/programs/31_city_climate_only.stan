// Cities differ in climate: tomorrow's temperature is drawn around the city's typical temperature, ignoring
// today's reading; city means are partially pooled around a regional mean (centred).
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
parameters {
  real mu;
  real<lower=0> tau;
  vector[num_cities] city_mean;
  real<lower=0> sigma;
}
model {
  mu ~ normal(70, 20);
  tau ~ normal(0, 10) T[0, ];
  city_mean ~ normal(mu, tau);
  sigma ~ normal(0, 10) T[0, ];
  for (c in 1:num_cities) {
    day2_temp_train[c] ~ normal(city_mean[c], sigma);
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(city_mean[c], sigma);
    }
  }
}
